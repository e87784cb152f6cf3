"""Forecasts of every indicator's next hour, and the early warnings drawn from them (Qt-free)."""

from console.forecast.service import Forecasts, IndicatorForecast

__all__ = ["Forecasts", "IndicatorForecast"]
