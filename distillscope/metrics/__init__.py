"""Metrics: functions of stored responses plus their config."""
