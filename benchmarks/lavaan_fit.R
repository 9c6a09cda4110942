# Seconds per lavaan sem() fit of one model, for benchmarks/run.py (fit_model against lavaan on the same machine).
# Usage: Rscript benchmarks/lavaan_fit.R DATA.csv MODEL.txt RUNS
# Prints two lines, "listwise SECONDS" and "fiml SECONDS": the median over RUNS loops of 10 fits each of
# sem(model, data = d) and sem(model, data = d, missing = "ml", fixed.x = FALSE), after one warm-up fit.
suppressPackageStartupMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 3) stop("usage: Rscript lavaan_fit.R DATA.csv MODEL.txt RUNS")
d <- read.csv(args[[1]])
model <- paste(readLines(args[[2]]), collapse = "\n")
runs <- as.integer(args[[3]])
fits <- list(
  listwise = function() sem(model, data = d),
  fiml = function() sem(model, data = d, missing = "ml", fixed.x = FALSE)
)
for (name in names(fits)) {
  f <- fits[[name]]
  invisible(f())
  per_fit <- sapply(seq_len(runs), function(i) system.time(for (k in 1:10) f())[["elapsed"]] / 10)
  cat(name, median(per_fit), "\n")
}
