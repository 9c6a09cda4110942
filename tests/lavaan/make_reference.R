# Reference fits of R lavaan for tests/test_lavaan.py and the appendix "The same models in lavaan".
#
# Usage: Rscript tests/lavaan/make_reference.R INPUT_DIR OUTPUT_DIR [COMMAND]
#   COMMAND (optional) is the command to record in meta.csv; the default is `make lavaan-reference`'s.
#   INPUT_DIR holds models.csv (columns name, dataset, estimators, syntax) and one <dataset>.csv per
#   dataset, written by `python -m psyalliance.sem.lavaan export INPUT_DIR` (see `make lavaan-reference`).
#   OUTPUT_DIR receives estimates.csv (parameterEstimates(fit, standardized = TRUE), free parameters),
#   fit.csv (fitMeasures, and lavInspect(fit, "r2") as measures "r2:<variable>") and meta.csv (versions, calls).
# Each model is fitted with lavaan's sem() and its defaults; the estimator "listwise" is
#   sem(model, data = d)                                   (listwise deletion, fixed.x = TRUE)
# and "fiml" is
#   sem(model, data = d, missing = "ml", fixed.x = FALSE)  (FIML, observed information)
# Only base R and lavaan are needed (Debian: apt-get install -y r-cran-lavaan).

suppressPackageStartupMessages(library(lavaan))

args <- commandArgs(trailingOnly = TRUE)
if (!(length(args) %in% c(2, 3))) stop("usage: Rscript make_reference.R INPUT_DIR OUTPUT_DIR [COMMAND]")
input <- args[[1]]
output <- args[[2]]
command <- if (length(args) == 3) args[[3]] else
  "make lavaan-reference (python -m psyalliance.sem.lavaan export DIR; Rscript tests/lavaan/make_reference.R DIR tests/lavaan/reference)"
dir.create(output, showWarnings = FALSE, recursive = TRUE)

calls <- c(
  listwise = "sem(model, data = d)",
  fiml = "sem(model, data = d, missing = \"ml\", fixed.x = FALSE)"
)
fit_once <- function(model, d, estimator) {
  if (estimator == "listwise") return(sem(model, data = d))
  if (estimator == "fiml") return(sem(model, data = d, missing = "ml", fixed.x = FALSE))
  stop(sprintf("unknown estimator %s; valid: listwise, fiml", estimator))
}

measures <- c("npar", "ntotal", "df", "chisq", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
              "rmsea.ci.upper", "srmr", "logl", "unrestricted.logl", "aic", "bic", "baseline.chisq",
              "baseline.df")

models <- read.csv(file.path(input, "models.csv"), stringsAsFactors = FALSE)
est_rows <- list()
fit_rows <- list()
for (i in seq_len(nrow(models))) {
  m <- models[i, ]
  d <- read.csv(file.path(input, paste0(m$dataset, ".csv")))
  for (estimator in strsplit(m$estimators, ";", fixed = TRUE)[[1]]) {
    fit <- fit_once(m$syntax, d, estimator)
    if (!lavInspect(fit, "converged")) stop(sprintf("%s (%s) did not converge", m$name, estimator))
    pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = TRUE)
    est_rows[[length(est_rows) + 1]] <- data.frame(
      model = m$name, estimator = estimator, lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
      label = if (is.null(pe$label)) "" else pe$label,
      est = pe$est, se = pe$se, z = pe$z, pvalue = pe$pvalue, std.all = pe$std.all,
      stringsAsFactors = FALSE)
    fm <- fitMeasures(fit, measures)
    r2 <- lavInspect(fit, "r2")
    fit_rows[[length(fit_rows) + 1]] <- data.frame(
      model = m$name, estimator = estimator, measure = c(names(fm), paste0("r2:", names(r2))),
      value = c(as.numeric(fm), as.numeric(r2)), stringsAsFactors = FALSE)
  }
}

num <- function(df) {  # 15 significant digits, so the files are stable from run to run
  for (col in names(df)) if (is.numeric(df[[col]])) df[[col]] <- signif(df[[col]], 15)
  df
}
write.csv(num(do.call(rbind, est_rows)), file.path(output, "estimates.csv"), row.names = FALSE)
write.csv(num(do.call(rbind, fit_rows)), file.path(output, "fit.csv"), row.names = FALSE)
meta <- data.frame(
  key = c("lavaan_version", "r_version", "command", "call_listwise", "call_fiml", "defaults"),
  value = c(as.character(packageVersion("lavaan")), R.version.string,
            command,
            calls[["listwise"]], calls[["fiml"]],
            "lavaan sem() defaults otherwise: ML, auto.cov.y = TRUE, N (not N - 1) in chi-square, expected information for complete data, observed information for missing = \"ml\""),
  stringsAsFactors = FALSE)
write.csv(meta, file.path(output, "meta.csv"), row.names = FALSE)
cat("wrote", file.path(output, c("estimates.csv", "fit.csv", "meta.csv")), "\n")
