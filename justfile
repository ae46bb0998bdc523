# uala developer recipes (https://github.com/casey/just)

default: test

# Build the release binary.
build:
    cargo build --release

# The README's test command.
test:
    cargo test

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --check
    cargo clippy --all-targets -- -D warnings

fmt:
    cargo fmt

# What CI runs.
ci:
    bash .ci/run

# Analyse the sample case shipped in testdata/.
sample:
    cargo run --release -- analyze testdata/contoso-bec

# Regenerate the sample case from its script.
sample-regen:
    python3 scripts/make_sample_case.py

# Generate a large synthetic export (SIZE like 200MB, 1GiB) into DIR.
gen dir size="200MB":
    cargo run --release --example gen_export -- --out {{dir}} --size {{size}}

# A realistic tenant (benign look-alikes plus planted compromises, truth.json) into DIR.
tenant dir size="1GB" seed="1":
    cargo run --release -p uala-gen -- --out {{dir}} --size {{size}} --seed {{seed}}

# Criterion benchmarks.
bench:
    cargo bench

# Fuzz every parser (FUZZ_SECONDS per target, default 600).
fuzz *targets:
    bash scripts/fuzz.sh {{targets}}
