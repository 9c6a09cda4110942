# Bollen-Stine bootstrap p value of M2 on the committed simulated dataset, by R lavaan, for
# tests/test_smallsample.py (an independent engine: its own transform, resampling and refits).
#
# Usage: Rscript tests/lavaan/bollen_stine/make_reference.R DATA_CSV MODEL_TXT OUTPUT_CSV
#   DATA_CSV: data/simulated/levin2024_simulated.csv; MODEL_TXT: M2's syntax (psyalliance.sem.registry.MODELS["m2_cycle"]).
# The command (recorded in the output's column "command"):
#   fit <- sem(model, data = d)    # listwise deletion, fixed.x = TRUE, as the book
#   set.seed(20240311)
#   boot <- bootstrapLavaan(fit, R = 2000, type = "bollen.stine", FUN = fitMeasures, fit.measures = "chisq")
#   p <- mean(boot >= fitMeasures(fit, "chisq"))
# Only base R and lavaan are needed (Debian: apt-get install -y r-cran-lavaan).

suppressPackageStartupMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 3) stop("usage: Rscript make_reference.R DATA_CSV MODEL_TXT OUTPUT_CSV")
d <- read.csv(args[[1]])
model <- paste(readLines(args[[2]]), collapse = "\n")
fit <- sem(model, data = d)
set.seed(20240311)
R <- 2000
boot <- bootstrapLavaan(fit, R = R, type = "bollen.stine", FUN = fitMeasures, fit.measures = "chisq")
boot <- boot[is.finite(boot[, 1]), 1]
observed <- unname(fitMeasures(fit, "chisq"))
cmd <- paste0("set.seed(20240311); bootstrapLavaan(sem(model, data = d), R = ", R,
              ", type = \"bollen.stine\", FUN = fitMeasures, fit.measures = \"chisq\")")
out <- data.frame(model = "m2_cycle", n = lavInspect(fit, "nobs"), chisq = observed,
                  resamples = length(boot), p_bollen_stine = mean(boot >= observed),
                  lavaan = as.character(packageVersion("lavaan")), command = cmd)
write.csv(out, args[[3]], row.names = FALSE)
