//! Chart images of alerts, one per language their labels are in: rendered once per alert and
//! language, uploaded once, then sent by file id. Alerts that show the same picture (personal
//! alerts fired by one move) store a reference to the first one's instead of a copy, and
//! share its upload.

use chrono::{DateTime, Utc};

use super::kv::{Range, Tree};
use super::{Store, StoreError};
use crate::engine::AlertId;
use crate::text::Lang;

/// `alert id (u64 BE) · language code`; the file id's key appends `/file`.
pub(super) fn key(alert: AlertId, lang: Lang) -> Vec<u8> {
    let mut k = alert.to_be_bytes().to_vec();
    k.extend_from_slice(lang.code().as_bytes());
    k
}

fn file_key(alert: AlertId, lang: Lang) -> Vec<u8> {
    let mut k = key(alert, lang);
    k.extend_from_slice(b"/file");
    k
}

/// What a reference to another alert's chart starts with (a PNG starts with `\x89PNG`).
const SAME_AS: u8 = b'@';

/// The value of a reference to `alert`'s chart.
pub(super) fn same_as(alert: AlertId) -> Vec<u8> {
    let mut v = vec![SAME_AS];
    v.extend_from_slice(&alert.to_be_bytes());
    v
}

impl Store {
    /// The alert whose chart `alert` shows in `lang`: itself, or the one it refers to.
    fn chart_owner(&self, alert: AlertId, lang: Lang) -> Result<AlertId, StoreError> {
        let value = self.get(Tree::Charts, &key(alert, lang), "reading a chart")?;
        Ok(match value {
            Some(v) if v.len() == 9 && v[0] == SAME_AS => {
                <[u8; 8]>::try_from(&v[1..]).map_or(alert, AlertId::from_be_bytes)
            }
            _ => alert,
        })
    }

    /// Forgets the charts of alerts fired more than a week ago: their messages are long sent.
    pub(super) fn prune_charts(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let horizon = now - chrono::TimeDelta::days(7);
        let mut removed = 0;
        for entry in self.entries(Tree::Charts, Range::all(), "pruning charts") {
            let (k, _) = entry?;
            let Some(id) = k.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) else {
                continue;
            };
            if self
                .alert(AlertId::from_be_bytes(id))?
                .is_none_or(|a| a.fired_at < horizon)
            {
                self.delete(Tree::Charts, &k, "pruning charts")?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// An alert's chart in `lang` (PNG), if it has one.
    pub fn chart(&self, alert: AlertId, lang: Lang) -> Result<Option<Vec<u8>>, StoreError> {
        let owner = self.chart_owner(alert, lang)?;
        self.get(Tree::Charts, &key(owner, lang), "reading a chart")
    }

    /// Remembers the Telegram file id the chart got when it was first uploaded.
    pub fn put_chart_file_id(
        &self,
        alert: AlertId,
        lang: Lang,
        file_id: &str,
    ) -> Result<(), StoreError> {
        let owner = self.chart_owner(alert, lang)?;
        self.put(
            Tree::Charts,
            &file_key(owner, lang),
            file_id.as_bytes(),
            "writing a chart file id",
        )
    }

    /// Forgets the file id of an alert's chart in `lang` that Telegram refused (it no longer
    /// knows it, or it belongs to another bot), so the next send uploads the picture again —
    /// unless the file id stored now is another one (an upload since). Whether it forgot.
    pub fn forget_chart_file_id(
        &self,
        alert: AlertId,
        lang: Lang,
        refused: &str,
    ) -> Result<bool, StoreError> {
        let owner = self.chart_owner(alert, lang)?;
        self.backend
            .compare_and_swap(
                Tree::Charts,
                &file_key(owner, lang),
                Some(refused.as_bytes()),
                None,
            )
            .map_err(super::ctx("forgetting a chart file id"))
    }

    /// The Telegram file id of an alert's chart in `lang`, once uploaded.
    pub fn chart_file_id(&self, alert: AlertId, lang: Lang) -> Result<Option<String>, StoreError> {
        let owner = self.chart_owner(alert, lang)?;
        Ok(self
            .get(
                Tree::Charts,
                &file_key(owner, lang),
                "reading a chart file id",
            )?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }
}
