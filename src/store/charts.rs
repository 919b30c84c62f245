//! Chart images of alerts: rendered once per alert, uploaded once, then sent by file id.

use chrono::{DateTime, Utc};

use super::{Store, StoreError, ctx};
use crate::engine::AlertId;

impl Store {
    /// Forgets the charts of alerts fired more than a week ago: their messages are long sent.
    pub(super) fn prune_charts(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let horizon = now - chrono::TimeDelta::days(7);
        let mut removed = 0;
        for entry in self.charts.iter() {
            let (k, _) = entry.map_err(ctx("pruning charts"))?;
            let Some(id) = k.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) else {
                continue;
            };
            if self
                .alert(AlertId::from_be_bytes(id))?
                .is_none_or(|a| a.fired_at < horizon)
            {
                self.charts.remove(k).map_err(ctx("pruning charts"))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Stores an alert's chart (PNG).
    pub fn put_chart(&self, alert: AlertId, png: &[u8]) -> Result<(), StoreError> {
        self.charts
            .insert(alert.to_be_bytes(), png)
            .map(|_| ())
            .map_err(ctx("writing a chart"))
    }

    /// An alert's chart, if it has one.
    pub fn chart(&self, alert: AlertId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .charts
            .get(alert.to_be_bytes())
            .map_err(ctx("reading a chart"))?
            .map(|v| v.to_vec()))
    }

    /// Remembers the Telegram file id the chart got when it was first uploaded.
    pub fn put_chart_file_id(&self, alert: AlertId, file_id: &str) -> Result<(), StoreError> {
        let mut k = alert.to_be_bytes().to_vec();
        k.extend_from_slice(b"/file");
        self.charts
            .insert(k, file_id.as_bytes())
            .map(|_| ())
            .map_err(ctx("writing a chart file id"))
    }

    /// The Telegram file id of an alert's chart, once uploaded.
    pub fn chart_file_id(&self, alert: AlertId) -> Result<Option<String>, StoreError> {
        let mut k = alert.to_be_bytes().to_vec();
        k.extend_from_slice(b"/file");
        Ok(self
            .charts
            .get(k)
            .map_err(ctx("reading a chart file id"))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }
}
