# Reference MMRM fits with nlme::gls (REML) and emmeans (Satterthwaite), written to JSON.
#
# Run from the repository root:  Rscript tests/analytics/r_reference/fit_nlme.R
# Needs R >= 4.2 with nlme, emmeans, numDeriv and jsonlite
# (Debian: r-cran-emmeans r-cran-numderiv r-cran-jsonlite).
# The JSON outputs are committed; the Python tests read them and never need R.

suppressPackageStartupMessages({
  library(nlme)
  library(emmeans)
  library(jsonlite)
})

here <- "tests/analytics/r_reference"

read_long <- function(name, reference) {
  d <- read.csv(file.path(here, paste0(name, ".csv")), stringsAsFactors = FALSE)
  d <- d[order(d$subject, d$visit_index), ]
  visit_levels <- unique(d$visit[order(d$visit_index)])
  d$visit <- factor(d$visit, levels = visit_levels)
  arms <- sort(unique(d$arm), method = "radix")
  d$arm <- factor(d$arm, levels = c(reference, setdiff(arms, reference)))
  if ("site" %in% names(d)) d$site <- factor(d$site, levels = sort(unique(d$site), method = "radix"))
  d$subject <- factor(d$subject)
  d
}

correlation_for <- function(structure) {
  switch(structure,
    us = corSymm(form = ~ visit_index | subject),
    cs = corCompSymm(form = ~ 1 | subject),
    ar1 = corAR1(form = ~ visit_index | subject)
  )
}

fit_one <- function(d, formula, structure) {
  args <- list(model = formula, data = d, method = "REML", correlation = correlation_for(structure))
  if (structure == "us") args$weights <- varIdent(form = ~ 1 | visit)
  first <- do.call(gls, c(args, list(control = glsControl(natural = FALSE))))
  # Polish from nlminb's answer with tight BFGS so the reference sits at the REML optimum to
  # ~1e-10; natural = FALSE keeps apVar on the same parameters as coef(modelStruct), which
  # emmeans needs for its analytical Satterthwaite method.
  args$correlation <- first$modelStruct$corStruct
  if (structure == "us") args$weights <- first$modelStruct$varStruct
  args$control <- glsControl(
    maxIter = 500, msMaxIter = 5000, tolerance = 1e-12, msTol = 1e-14,
    opt = "optim", optimMethod = "BFGS", natural = FALSE
  )
  polished <- do.call(gls, args)
  stopifnot(as.numeric(logLik(polished)) >= as.numeric(logLik(first)) - 1e-9)
  polished
}

full_covariance <- function(fit, d) {
  n_visits <- nlevels(d$visit)
  counts <- table(d$subject)
  complete <- names(counts)[counts == n_visits][1]
  unclass(getVarCov(fit, individual = complete))
}

# nlme's own apVar comes from a finite-difference Hessian (fdHess), accurate to ~1e-3. For a
# tighter reference, recompute the covariance of (coef(modelStruct), log sigma) from the Hessian
# of nlme's REML log-likelihood taken by numDeriv (Richardson extrapolation).
information_apvar <- function(fit, d, formula) {
  struct <- fit$modelStruct
  con_lin <- fit
  class(con_lin) <- class(struct)
  con_lin$Xy <- cbind(model.matrix(formula, data = d), d$change)
  con_lin$fixedSigma <- FALSE
  con_lin$logLik <- 0
  con_lin$sigma <- 0
  n <- fit$dims$N - fit$dims$p
  full_reml <- function(pars) {
    k <- length(pars)
    s <- struct
    coef(s) <- pars[-k]
    est <- glsEstimate(s, con_lin)
    s2 <- exp(2 * pars[k])
    s2hat <- est$sigma^2
    est$logLik - 0.5 * n * (log(s2 / s2hat) + s2hat / s2 - 1)
  }
  pars <- c(coef(struct), lSigma = log(fit$sigma))
  stopifnot(abs(full_reml(pars) - as.numeric(logLik(fit))) < 1e-8)
  solve(-numDeriv::hessian(full_reml, pars))
}

summarise_fit <- function(name, dataset, formula, structure, d) {
  started <- proc.time()[["elapsed"]]
  fit <- fit_one(d, formula, structure)
  elapsed <- proc.time()[["elapsed"]] - started
  cf <- summary(fit)$tTable
  ll <- logLik(fit)
  grid <- ref_grid(fit, mode = "satterthwaite", data = d)
  emm <- emmeans(grid, ~ arm | visit)
  ctr <- contrast(emm, method = "trt.vs.ctrl", ref = 1, adjust = "none")
  emm_df <- as.data.frame(summary(emm))
  ctr_df <- as.data.frame(summary(ctr))
  grid@dfargs$A <- information_apvar(fit, d, formula)
  emm_info <- emmeans(grid, ~ arm | visit)
  ctr_info <- contrast(emm_info, method = "trt.vs.ctrl", ref = 1, adjust = "none")
  emm_info_df <- as.data.frame(summary(emm_info))
  ctr_info_df <- as.data.frame(summary(ctr_info))
  list(
    name = name,
    dataset = dataset,
    formula = paste(deparse(formula), collapse = " "),
    covariance = structure,
    r_version = R.version.string,
    nlme_version = as.character(packageVersion("nlme")),
    emmeans_version = as.character(packageVersion("emmeans")),
    seconds = elapsed,
    coefficients = data.frame(
      name = rownames(cf), estimate = unname(cf[, "Value"]), se = unname(cf[, "Std.Error"])
    ),
    vcov = unname(vcov(fit)),
    logLik = as.numeric(ll),
    df = attr(ll, "df"),
    AIC = AIC(fit),
    BIC = BIC(fit),
    sigma = fit$sigma,
    covariance_matrix = full_covariance(fit, d),
    visits = levels(d$visit),
    arms = levels(d$arm),
    ls_means = data.frame(
      arm = as.character(emm_df$arm), visit = as.character(emm_df$visit),
      estimate = emm_df$emmean, se = emm_df$SE, df = emm_df$df,
      df_information = emm_info_df$df
    ),
    differences = data.frame(
      contrast = as.character(ctr_df$contrast), visit = as.character(ctr_df$visit),
      estimate = ctr_df$estimate, se = ctr_df$SE, df = ctr_df$df,
      t = ctr_df$t.ratio, p = ctr_df$p.value,
      df_information = ctr_info_df$df, p_information = ctr_info_df$p.value
    )
  )
}

fits <- list(
  list(name = "monotone_us", dataset = "monotone", structure = "us",
       formula = change ~ baseline + arm * visit),
  list(name = "monotone_cs", dataset = "monotone", structure = "cs",
       formula = change ~ baseline + arm * visit),
  list(name = "monotone_ar1", dataset = "monotone", structure = "ar1",
       formula = change ~ baseline + arm * visit),
  list(name = "monotone_us_no_baseline", dataset = "monotone", structure = "us",
       formula = change ~ arm * visit),
  list(name = "intermittent_us", dataset = "intermittent", structure = "us",
       formula = change ~ baseline + arm * visit + site),
  list(name = "intermittent_cs", dataset = "intermittent", structure = "cs",
       formula = change ~ baseline + arm * visit + site),
  list(name = "intermittent_ar1", dataset = "intermittent", structure = "ar1",
       formula = change ~ baseline + arm * visit + site)
)

for (spec in fits) {
  d <- read_long(spec$dataset, reference = "placebo")
  out <- summarise_fit(spec$name, spec$dataset, spec$formula, spec$structure, d)
  path <- file.path(here, paste0(spec$name, ".json"))
  writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, dataframe = "rows"), path)
  cat(sprintf("%-26s logLik %.6f  (%.2f s)\n", spec$name, out$logLik, out$seconds))
}
