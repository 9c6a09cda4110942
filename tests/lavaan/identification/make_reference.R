# lavaan's view of three small path models on data.csv (60 simulated cases, y missing in the first 6):
#   t_rule       m ~ x1; y ~ m + x1; m ~~ y                      10 free parameters, 9 moments: df = -1
#   order        m ~ x1 + x2; y ~ m + x1 + x2; z ~ x1; m ~~ y    df = 1, but no instrument excluded from y's
#                                                                equation: y ~ m and m ~~ y not identified
#   instrumented m ~ x1 + x2; y ~ m + x1; z ~ x1; m ~~ y         x2 excluded from y's equation: identified
# FIML, as fit_model(missing="fiml"): sem(model, data, missing = "ml", fixed.x = FALSE).
# Made by: Rscript tests/lavaan/identification/make_reference.R  (run from the repository root; lavaan 0.6)
suppressMessages(library(lavaan))
here <- "tests/lavaan/identification"
d <- read.csv(file.path(here, "data.csv"))
models <- c(t_rule = "m ~ x1\ny ~ m + x1\nm ~~ y",
            order = "m ~ x1 + x2\ny ~ m + x1 + x2\nz ~ x1\nm ~~ y",
            instrumented = "m ~ x1 + x2\ny ~ m + x1\nz ~ x1\nm ~~ y")
rows <- list()
for (name in names(models)) {
  warned <- ""
  f <- withCallingHandlers(sem(models[[name]], d, missing = "ml", fixed.x = FALSE),
                           warning = function(w) { warned <<- "vcov not positive definite"; invokeRestart("muffleWarning") })
  pe <- parameterEstimates(f)
  pe <- pe[pe$op %in% c("~", "~~", "~1"), c("lhs", "op", "rhs", "est", "se")]
  pe$model <- name
  pe$df <- fitMeasures(f, "df")
  pe$npar <- fitMeasures(f, "npar")
  pe$lavaan_warning <- warned
  rows[[name]] <- pe
}
out <- do.call(rbind, rows)
write.csv(out, file.path(here, "reference.csv"), row.names = FALSE)
cat("lavaan", as.character(packageVersion("lavaan")), "wrote", nrow(out), "rows\n")
