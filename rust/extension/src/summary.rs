//! The summary lines both extensions log: the same text as the JavaScript extension, from the
//! templates in `extensions/contract.json` (`summaryLines`); a test checks they agree.

/// The counts of the SHUTDOWN line; `undelivered` in the line is `accepted − delivered`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShutdownCounts {
    pub accepted: u64,
    pub delivered: u64,
    /// Of `delivered`, acknowledged only after a retry: each a possible duplicate.
    pub delivered_on_retry: u64,
    /// Never acknowledged and not in flight at exit: queued, backing off, or given up on.
    pub unsent: u64,
    /// Refused by SQS as the sender's fault.
    pub refused: u64,
    /// In a request that had not answered at exit: may have arrived.
    pub in_flight: u64,
    /// Turned away with 503 because the outbox was full.
    pub turned_away: u64,
}

/// The line logged after an INVOKE's flush that retried or left messages pending.
pub fn invoke_line(
    request_id: &str,
    delivered: u64,
    delivered_on_retry: u64,
    pending: u64,
) -> String {
    format!("invoke {request_id}: delivered {delivered} ({delivered_on_retry} after a retry), {pending} pending")
}

/// The line logged at SHUTDOWN.
pub fn shutdown_line(reason: &str, c: &ShutdownCounts) -> String {
    format!(
        "shutdown ({}): accepted {}, delivered {} ({} after a retry), undelivered {} ({} unsent, \
         {} refused by SQS, {} in flight at exit), turned away {} (outbox full)",
        reason.to_lowercase(),
        c.accepted,
        c.delivered,
        c.delivered_on_retry,
        c.accepted.saturating_sub(c.delivered),
        c.unsent,
        c.refused,
        c.in_flight,
        c.turned_away
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(kind: &str) -> String {
        let contract: serde_json::Value =
            serde_json::from_str(include_str!("../../../extensions/contract.json")).unwrap();
        contract["summaryLines"][kind]
            .as_str()
            .unwrap_or_else(|| panic!("contract.json has no summaryLines.{kind}"))
            .to_owned()
    }

    fn fill(template: &str, values: &[(&str, String)]) -> String {
        let mut line = template.to_owned();
        for (name, value) in values {
            line = line.replace(&format!("{{{name}}}"), value);
        }
        assert!(!line.contains('{'), "unfilled placeholder in {line}");
        line
    }

    #[test]
    fn invoke_line_follows_the_contract() {
        let want = fill(
            &template("invoke"),
            &[
                ("requestId", "r-1".into()),
                ("delivered", "12".into()),
                ("deliveredOnRetry", "2".into()),
                ("pending", "3".into()),
            ],
        );
        assert_eq!(invoke_line("r-1", 12, 2, 3), want);
    }

    #[test]
    fn shutdown_line_follows_the_contract() {
        let counts = ShutdownCounts {
            accepted: 2000,
            delivered: 1990,
            delivered_on_retry: 30,
            unsent: 4,
            refused: 1,
            in_flight: 5,
            turned_away: 7,
        };
        let want = fill(
            &template("shutdown"),
            &[
                ("reason", "spindown".into()),
                ("accepted", "2000".into()),
                ("delivered", "1990".into()),
                ("deliveredOnRetry", "30".into()),
                ("undelivered", "10".into()),
                ("unsent", "4".into()),
                ("refused", "1".into()),
                ("inFlight", "5".into()),
                ("turnedAway", "7".into()),
            ],
        );
        assert_eq!(shutdown_line("SPINDOWN", &counts), want);
    }
}
