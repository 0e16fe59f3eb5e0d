#!/usr/bin/env Rscript
# Accuracy summary of a forecast-peers.R output against the M4 test values (benchmarks only).
#
# Usage:
#   Rscript bench/r/summarize-peers.R --results <out.json> --train <train.csv> --test <test.csv> \
#     --season <m> [--naive2-csv <Naive2 forecasts.csv> | --naive2-smape S --naive2-mase M] [--markdown]
#
# Metrics follow M4 (shared/data/README.md §2): per-series sMAPE (percent) and MASE (scale = in-sample
# seasonal-naive MAE with lag m), averaged over the series present in the results (a partial file
# is summarized over the series done so far). OWA needs the Naive2 sMAPE/MASE of the same series:
# either computed here from the official Naive2 forecasts (`--naive2-csv`, shared/data/m4/
# benchmark_forecasts/Naive2-*.csv; right for partial files too) or given as numbers
# (shared/data/m4/SOURCE.md lists them for all of H1-H150 and W1-W200). Coverage = share of test points
# inside the 80% / 95% intervals.

suppressPackageStartupMessages(library(jsonlite))

argv <- commandArgs(trailingOnly = TRUE)
markdown <- "--markdown" %in% argv
argv <- argv[argv != "--markdown"]
opts <- list()
for (i in seq(1L, length(argv) - 1L, by = 2L)) opts[[substring(argv[[i]], 3L)]] <- argv[[i + 1L]]
for (required in c("results", "train", "test", "season")) {
  if (is.null(opts[[required]])) stop(sprintf("`--%s` is required", required))
}
season <- as.integer(opts$season)

read_m4 <- function(path) {
  df <- read.csv(path, header = TRUE, colClasses = "character", na.strings = c("", "NA"), check.names = FALSE)
  values <- as.matrix(df[, -1, drop = FALSE])
  series <- lapply(seq_len(nrow(df)), function(i) {
    raw <- values[i, ]
    as.numeric(raw[seq_len(max(which(!is.na(raw))))])
  })
  names(series) <- df[[1]]
  series
}

results <- fromJSON(opts$results, simplifyVector = TRUE)
train <- read_m4(opts$train)
test <- read_m4(opts$test)
ids <- results$seriesIds

smape <- function(y, f) mean(200 * abs(y - f) / (abs(y) + abs(f)))
scale_of <- function(x, m) mean(abs(diff(x, lag = m)))
scales <- vapply(ids, function(id) scale_of(train[[id]], season), numeric(1))

rows <- lapply(names(results$methods), function(method) {
  series <- results$methods[[method]]$series
  per <- t(vapply(ids, function(id) {
    s <- series[[id]]
    y <- test[[id]]
    inside <- function(level) {
      lo <- s[[paste0("lower", level)]]
      hi <- s[[paste0("upper", level)]]
      if (is.null(lo) || anyNA(lo) || anyNA(hi)) return(NA_real_)
      mean(y >= lo & y <= hi)
    }
    c(smape = smape(y, s$mean), mase = mean(abs(y - s$mean)) / scales[[id]],
      cov80 = inside(80), cov95 = inside(95), fitMs = s$fitMs,
      fallback = as.numeric(!is.null(s$fallback)))
  }, numeric(6)))
  data.frame(
    method = method, series = length(ids),
    sMAPE = mean(per[, "smape"]), MASE = mean(per[, "mase"]),
    cov80 = mean(per[, "cov80"], na.rm = TRUE), cov95 = mean(per[, "cov95"], na.rm = TRUE),
    meanFitMs = mean(per[, "fitMs"]), medianFitMs = median(per[, "fitMs"]),
    fallbacks = sum(per[, "fallback"]),
    stringsAsFactors = FALSE
  )
})
table <- do.call(rbind, rows)
n2s <- NULL
n2m <- NULL
if (!is.null(opts[["naive2-csv"]])) {
  naive2 <- read_m4(opts[["naive2-csv"]])
  n2s <- mean(vapply(ids, function(id) smape(test[[id]], naive2[[id]]), numeric(1)))
  n2m <- mean(vapply(ids, function(id) mean(abs(test[[id]] - naive2[[id]])) / scales[[id]], numeric(1)))
  cat(sprintf("Naive2 on these %d series: sMAPE %.6f, MASE %.6f\n", length(ids), n2s, n2m))
} else if (!is.null(opts[["naive2-smape"]]) && !is.null(opts[["naive2-mase"]])) {
  n2s <- as.numeric(opts[["naive2-smape"]])
  n2m <- as.numeric(opts[["naive2-mase"]])
}
if (!is.null(n2s)) {
  # OWA as published: on aggregated sMAPE and MASE rounded to 3 decimals.
  table$OWA <- 0.5 * (round(table$sMAPE, 3) / n2s + round(table$MASE, 3) / n2m)
}

cat(sprintf("%s (%s series%s, forecast %s, %d workers)\n", opts$results, length(ids),
            if (isTRUE(results$complete)) "" else ", PARTIAL", results$forecastVersion, results$workers))
if (markdown) {
  cols <- names(table)
  cat("| ", paste(cols, collapse = " | "), " |\n", sep = "")
  cat("|", paste(rep("---", length(cols)), collapse = "|"), "|\n", sep = "")
  for (r in seq_len(nrow(table))) {
    cells <- vapply(cols, function(col) {
      v <- table[[col]][[r]]
      if (is.numeric(v) && !(col %in% c("series", "fallbacks"))) formatC(v, format = "f", digits = 3) else as.character(v)
    }, character(1))
    cat("| ", paste(cells, collapse = " | "), " |\n", sep = "")
  }
} else {
  print(table, digits = 4, row.names = FALSE)
}
