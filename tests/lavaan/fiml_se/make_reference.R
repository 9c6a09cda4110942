# lavaan's FIML standard errors (observed information) of M1 on two simulated datasets of 24 with the
# preparation alliance missing for 6 (tests/lavaan/fiml_se/data.csv, seeded; tests/test_robustness.py's
# fiml_fixture() writes it and a test checks the committed file equals it). Run from the repository root:
#   Rscript tests/lavaan/fiml_se/make_reference.R
# Writes tests/lavaan/fiml_se/reference.csv: dataset, estimator, effect, est, se.
suppressPackageStartupMessages(library(lavaan))
d <- read.csv("tests/lavaan/fiml_se/data.csv")
m1 <- "
mystical_peak ~ a1*alliance_prep
insight_peak ~ a2*alliance_prep
hamd_4wk ~ b1*mystical_peak + b2*insight_peak + c*alliance_prep
mystical_peak ~~ insight_peak
a1b1 := a1*b1
a2b2 := a2*b2
"
aux <- paste(m1, "
alliance_post1 ~~ alliance_prep + mystical_peak + insight_peak + hamd_4wk
")
out <- NULL
for (ds in unique(d$dataset)) {
  x <- d[d$dataset == ds, -1]
  for (est in c("fiml", "fiml_aux")) {
    fit <- sem(if (est == "fiml") m1 else aux, data = x, missing = "ml", fixed.x = FALSE,
               information = "observed", observed.information = "hessian",
               control = list(rel.tol = 1e-14, iter.max = 1e5, eval.max = 1e5))
    pe <- parameterEstimates(fit)
    keep <- pe$label %in% c("a1", "a2", "b1", "b2", "c", "a1b1", "a2b2")
    out <- rbind(out, data.frame(dataset = ds, estimator = est, effect = pe$label[keep],
                                 est = pe$est[keep], se = pe$se[keep]))
  }
}
write.csv(out, "tests/lavaan/fiml_se/reference.csv", row.names = FALSE)
cat("lavaan", as.character(packageVersion("lavaan")), "\n")
