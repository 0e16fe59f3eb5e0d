#!/usr/bin/env Rscript
# R's forecast package (Hyndman et al.) as a measured peer for presage's own models.
# Benchmarks only: never run in CI. Reads M4 wide CSVs, fits each requested method per series,
# and writes point forecasts, 80/95% intervals and per-series fit+forecast wall time as JSON.
#
# Usage:
#   Rscript bench/r/forecast-peers.R --train <train.csv> --test <test.csv> --season <m> \
#     --horizon <h> --methods snaive,ets,auto.arima,thetaf,stlf [--limit N] [--workers 2] \
#     --out <out.json>
#
# Output (see bench/r-forecast-peers.ts for the validated TypeScript shape):
#   { "rVersion", "forecastVersion", "jsonliteVersion", "season", "horizon", "workers",
#     "levels": [80, 95], "complete", "elapsedMs", "seriesIds": [...],
#     "methods": { "<name>": { "series": { "<id>": {
#        "mean", "lower80", "upper80", "lower95", "upper95", "fitMs", "note"?, "fallback"? } } } } }
# The file is rewritten after every chunk of series with "complete": false, so a long run that is
# still going (or died) leaves usable partial results; the last write has "complete": true.

suppressPackageStartupMessages({
  library(forecast)
  library(jsonlite)
  library(parallel)
})

known_methods <- c("snaive", "ets", "auto.arima", "thetaf", "stlf")
interval_levels <- c(80, 95)
progress_every <- 10L

log_line <- function(...) {
  message(sprintf(...))
}

die <- function(...) {
  message("error: ", sprintf(...))
  quit(save = "no", status = 2)
}

parse_args <- function(argv) {
  opts <- list(limit = NA_integer_, workers = 2L)
  i <- 1L
  while (i <= length(argv)) {
    key <- argv[[i]]
    if (!startsWith(key, "--") || i == length(argv)) die("expected `--name value` pairs, got `%s`", key)
    opts[[substring(key, 3L)]] <- argv[[i + 1L]]
    i <- i + 2L
  }
  problems <- character()
  for (required in c("train", "test", "season", "horizon", "methods", "out")) {
    if (is.null(opts[[required]])) problems <- c(problems, sprintf("`--%s` is required", required))
  }
  as_positive_int <- function(name) {
    value <- opts[[name]]
    if (is.null(value) || (length(value) == 1L && is.na(value))) return(value)
    n <- suppressWarnings(as.integer(value))
    if (is.na(n) || n < 1L || as.character(n) != as.character(value)) {
      problems <<- c(problems, sprintf("`--%s` (%s) must be a positive integer", name, value))
    }
    n
  }
  opts$season <- as_positive_int("season")
  opts$horizon <- as_positive_int("horizon")
  opts$limit <- as_positive_int("limit")
  opts$workers <- as_positive_int("workers")
  # Per method and series wall-time budget (seconds); a method that exceeds it falls back to snaive
  # with a note, so one pathological auto.arima search cannot hold the benchmark for many minutes.
  if (!is.null(opts[["timeout-seconds"]])) {
    timeout <- suppressWarnings(as.numeric(opts[["timeout-seconds"]]))
    if (is.na(timeout) || timeout <= 0) {
      problems <- c(problems, sprintf("`--timeout-seconds` (%s) must be a positive number", opts[["timeout-seconds"]]))
    } else {
      options(presage.timeout_seconds = timeout)
    }
  }
  if (!is.null(opts$methods)) {
    opts$methods <- unique(trimws(strsplit(opts$methods, ",", fixed = TRUE)[[1]]))
    unknown <- setdiff(opts$methods, known_methods)
    if (length(unknown) > 0L) {
      problems <- c(problems, sprintf(
        "`--methods` has unknown %s; known: %s",
        paste(unknown, collapse = ", "), paste(known_methods, collapse = ", ")
      ))
    }
  }
  if (length(problems) > 0L) die("%s", paste(problems, collapse = "; "))
  opts
}

# M4 wide CSV: header "V1","V2",...; V1 = id; values left to right; shorter rows are padded with
# empty trailing cells. Interior gaps do not occur in M4 and are rejected rather than guessed at.
read_m4 <- function(path) {
  if (!file.exists(path)) die("file `%s` does not exist", path)
  df <- read.csv(path, header = TRUE, colClasses = "character", na.strings = c("", "NA"),
                 check.names = FALSE)
  ids <- df[[1]]
  values <- as.matrix(df[, -1, drop = FALSE])
  series <- vector("list", length(ids))
  for (i in seq_along(ids)) {
    raw <- values[i, ]
    present <- which(!is.na(raw))
    if (length(present) == 0L) die("series `%s` in `%s` has no values", ids[[i]], path)
    raw <- raw[seq_len(max(present))]
    y <- suppressWarnings(as.numeric(raw))
    if (anyNA(y)) die("series `%s` in `%s` has missing or non-numeric cells before its last value", ids[[i]], path)
    series[[i]] <- y
  }
  names(series) <- ids
  series
}

fit_forecast <- function(method, y, h) {
  switch(method,
    snaive = snaive(y, h = h, level = interval_levels),
    ets = forecast(ets(y), h = h, level = interval_levels),
    auto.arima = forecast(auto.arima(y), h = h, level = interval_levels),
    thetaf = thetaf(y, h = h, level = interval_levels),
    stlf = stlf(y, h = h, level = interval_levels)
  )
}

# stlf decomposes with mstl and needs a seasonal ts with more than two full periods. Where it does
# not apply we say why (in forecast::stlf's own words where it has them) and use ets instead.
stlf_inapplicable_reason <- function(y) {
  m <- frequency(y)
  if (m <= 1) {
    msg <- tryCatch({
      stlf(y, h = 1L)
      NULL
    }, error = function(e) conditionMessage(e))
    return(if (is.null(msg)) "frequency is 1" else msg)
  }
  if (length(y) <= 2 * m) return(sprintf("n (%d) must be > 2 * frequency (%d)", length(y), 2L * m))
  NULL
}

# Runs fit_forecast under the --timeout-seconds budget. The fit runs in a forked child that is killed
# when the budget is spent (setTimeLimit cannot interrupt the C code auto.arima spends its time in).
# Only the slow searches get a child: forking costs tens of ms, which would swamp snaive's or thetaf's
# time. The child reports its own fit time, so the fork is not billed to the method.
timed_attempt <- function(method, y, h, attempt, add_warnings, set_fit_ms) {
  timeout <- getOption("presage.timeout_seconds", Inf)
  if (!is.finite(timeout) || !(method %in% c("auto.arima", "ets"))) return(attempt(fit_forecast(method, y, h)))
  job <- parallel::mcparallel({
    collected <- character()
    child_started <- proc.time()[["elapsed"]]
    result <- withCallingHandlers(
      tryCatch(fit_forecast(method, y, h), error = function(e) e),
      warning = function(w) {
        collected <<- c(collected, conditionMessage(w))
        invokeRestart("muffleWarning")
      }
    )
    list(fc = result, warnings = collected, ms = (proc.time()[["elapsed"]] - child_started) * 1000)
  }, silent = TRUE)
  done <- parallel::mccollect(job, wait = FALSE, timeout = timeout)
  if (is.null(done)) {
    tools::pskill(job$pid, tools::SIGKILL)
    suppressWarnings(parallel::mccollect(job, wait = TRUE))
    return(simpleError(sprintf("exceeded the %g s time budget", timeout)))
  }
  out <- done[[1]]
  if (inherits(out, "try-error") || !is.list(out)) return(simpleError(paste("child failed:", as.character(out))))
  add_warnings(out$warnings)
  set_fit_ms(out$ms)
  out$fc
}

# Runs one method on one series with timing. Warnings are collected into the note instead of
# printed; an error or a non-finite point forecast falls back to snaive under the same name, as
# presage's own models do, and the note records why.
run_one <- function(method, y, h) {
  warnings <- character()
  note <- NULL
  fallback <- NULL
  started <- proc.time()[["elapsed"]]
  attempt <- function(expr) {
    withCallingHandlers(
      tryCatch(expr, error = function(e) e),
      warning = function(w) {
        warnings <<- c(warnings, conditionMessage(w))
        invokeRestart("muffleWarning")
      }
    )
  }
  effective <- method
  if (method == "stlf") {
    reason <- stlf_inapplicable_reason(y)
    if (!is.null(reason)) {
      effective <- "ets"
      fallback <- "ets"
      note <- sprintf("stlf not applicable: %s; used forecast(ets(y), h)", reason)
    }
  }
  inner_ms <- NULL
  fc <- timed_attempt(effective, y, h, attempt, function(w) warnings <<- c(warnings, w), function(ms) inner_ms <<- ms)
  failure <- if (inherits(fc, "error")) {
    conditionMessage(fc)
  } else if (length(fc$mean) != h || any(!is.finite(fc$mean))) {
    "non-finite or wrong-length point forecast"
  } else {
    NULL
  }
  if (!is.null(failure)) {
    note <- paste(c(note, sprintf("%s failed: %s; used snaive(y, h)", effective, failure)), collapse = "; ")
    fallback <- "snaive"
    fc <- attempt(fit_forecast("snaive", y, h))
    if (inherits(fc, "error")) stop(sprintf("snaive fallback failed too: %s", conditionMessage(fc)))
  }
  fit_ms <- (proc.time()[["elapsed"]] - started) * 1000
  if (!is.null(inner_ms) && is.null(failure)) fit_ms <- inner_ms
  bound <- function(which, level) {
    b <- as.numeric(fc[[which]][, match(level, fc$level)])
    b[!is.finite(b)] <- NA_real_
    b
  }
  bounds <- list(lower80 = bound("lower", 80), upper80 = bound("upper", 80),
                 lower95 = bound("lower", 95), upper95 = bound("upper", 95))
  if (any(vapply(bounds, anyNA, logical(1)))) {
    note <- paste(c(note, "some interval bounds were not finite (written as null)"), collapse = "; ")
  }
  if (length(warnings) > 0L) {
    note <- paste(c(note, sprintf("warning: %s", unique(warnings))), collapse = "; ")
  }
  out <- c(list(mean = as.numeric(fc$mean)), bounds, list(fitMs = unbox(round(fit_ms, 1))))
  if (!is.null(note)) out$note <- unbox(note)
  if (!is.null(fallback)) out$fallback <- unbox(fallback)
  out
}

run_series <- function(id, y_raw, season, h, methods) {
  y <- ts(y_raw, frequency = season)
  results <- lapply(methods, function(method) run_one(method, y, h))
  names(results) <- methods
  list(id = id, results = results)
}

write_json_atomically <- function(payload, path) {
  tmp <- paste0(path, ".tmp")
  writeLines(toJSON(payload, auto_unbox = FALSE, digits = NA, na = "null"), tmp, useBytes = TRUE)
  if (!file.rename(tmp, path)) die("could not move `%s` to `%s`", tmp, path)
}

main <- function() {
  opts <- parse_args(commandArgs(trailingOnly = TRUE))
  train <- read_m4(opts$train)
  test <- read_m4(opts$test)
  ids <- names(train)
  if (!is.na(opts$limit)) ids <- head(ids, opts$limit)
  missing_test <- setdiff(ids, names(test))
  if (length(missing_test) > 0L) {
    die("test file has no rows for %s", paste(head(missing_test, 5L), collapse = ", "))
  }
  wrong_h <- ids[vapply(test[ids], length, integer(1)) != opts$horizon]
  if (length(wrong_h) > 0L) {
    die("`--horizon` (%d) does not match the test length of %s (%d)",
        opts$horizon, wrong_h[[1]], length(test[[wrong_h[[1]]]]))
  }
  dir.create(dirname(opts$out), recursive = TRUE, showWarnings = FALSE)

  methods_out <- setNames(lapply(opts$methods, function(m) list(series = structure(list(), names = character()))),
                          opts$methods)
  payload <- function(done_ids, complete, elapsed_ms) {
    list(
      rVersion = unbox(R.version.string),
      forecastVersion = unbox(as.character(packageVersion("forecast"))),
      jsonliteVersion = unbox(as.character(packageVersion("jsonlite"))),
      season = unbox(opts$season),
      horizon = unbox(opts$horizon),
      workers = unbox(opts$workers),
      levels = interval_levels,
      complete = unbox(complete),
      elapsedMs = unbox(round(elapsed_ms)),
      seriesIds = I(done_ids),
      methods = methods_out
    )
  }

  log_line("r-forecast-peers: %d series, methods %s, m=%d, h=%d, workers=%d, forecast %s",
           length(ids), paste(opts$methods, collapse = ","), opts$season, opts$horizon, opts$workers,
           as.character(packageVersion("forecast")))
  started <- proc.time()[["elapsed"]]
  done_ids <- character()
  fallbacks <- setNames(integer(length(opts$methods)), opts$methods)
  # Chunks keep progress and partial writes regular; inside a chunk mc.preschedule = FALSE hands
  # series to workers one at a time because per-series cost varies a lot (auto.arima, long series).
  chunks <- split(ids, ceiling(seq_along(ids) / progress_every))
  for (chunk in chunks) {
    results <- mclapply(chunk, function(id) run_series(id, train[[id]], opts$season, opts$horizon, opts$methods),
                        mc.cores = opts$workers, mc.preschedule = FALSE)
    for (k in seq_along(chunk)) {
      r <- results[[k]]
      if (inherits(r, "try-error") || is.null(r)) {
        write_json_atomically(payload(done_ids, FALSE, (proc.time()[["elapsed"]] - started) * 1000), opts$out)
        die("series `%s` failed in its worker: %s", chunk[[k]], paste(as.character(r), collapse = " "))
      }
      for (method in opts$methods) {
        res <- r$results[[method]]
        methods_out[[method]]$series[[r$id]] <- res
        if (identical(as.character(res$fallback), "snaive")) log_line("  %s %s: %s", r$id, method, res$note)
        if (!is.null(res$fallback)) fallbacks[[method]] <- fallbacks[[method]] + 1L
      }
      done_ids <- c(done_ids, r$id)
    }
    elapsed <- proc.time()[["elapsed"]] - started
    per_series <- elapsed / length(done_ids)
    log_line("progress %d/%d series, %.1f s elapsed, ~%.1f min left", length(done_ids), length(ids),
             elapsed, per_series * (length(ids) - length(done_ids)) / 60)
    write_json_atomically(payload(done_ids, length(done_ids) == length(ids), elapsed * 1000), opts$out)
  }
  for (method in opts$methods[fallbacks > 0L]) {
    log_line("  %s used a fallback on %d of %d series (see each series' note)", method,
             fallbacks[[method]], length(done_ids))
  }
  log_line("done: wrote %s", opts$out)
}

main()
