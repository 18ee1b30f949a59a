//! Per-role dashboards of DOMAIN.md, scoped like every other read: government figures never
//! include agency stock; hub-bound roles see their own hub.
use app::domain::text::display_time;
use app::domain::Role;
use app::model::SessionUser;
use app::reports::{BarChart, Dashboard, Stat, Table};

use crate::db::{self, Db};
use crate::error::AppResult;

const GOV: &str = "h.hub_type IN ('MAIN', 'SUB')";

fn stat(label: &str, value: impl ToString) -> Stat {
    Stat {
        label: label.to_string(),
        value: value.to_string(),
    }
}

fn table(title: &str, headers: &[&str], rows: Vec<Vec<String>>, empty: &str) -> Table {
    Table {
        title: title.into(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows,
        empty: empty.into(),
    }
}

fn days_ago(days: i64) -> String {
    db::timestamp(chrono::Utc::now() - chrono::Duration::days(days))
}

/// A bound value: ids as integers (PostgreSQL compares no integer column with text).
enum P {
    I(i64),
    T(String),
}

impl From<i64> for P {
    fn from(v: i64) -> P {
        P::I(v)
    }
}

impl From<&str> for P {
    fn from(v: &str) -> P {
        P::T(v.to_string())
    }
}

impl From<String> for P {
    fn from(v: String) -> P {
        P::T(v)
    }
}

/// The query's arguments, in order.
fn args(binds: &[P]) -> AppResult<sqlx::any::AnyArguments<'static>> {
    use sqlx::Arguments;
    let mut args = sqlx::any::AnyArguments::default();
    for b in binds {
        match b {
            P::I(v) => args.add(*v),
            P::T(v) => args.add(v.clone()),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(args)
}

async fn scalar(db: &Db, sql: &str, binds: &[P]) -> AppResult<i64> {
    Ok(sqlx::query_scalar_with(sql, args(binds)?)
        .fetch_one(db)
        .await?)
}

/// (label, count) pairs from a two-column GROUP BY query.
async fn pairs(db: &Db, sql: &str, binds: &[P]) -> AppResult<Vec<(String, i64)>> {
    Ok(sqlx::query_as_with(sql, args(binds)?).fetch_all(db).await?)
}

fn pair_rows(pairs: Vec<(String, i64)>) -> Vec<Vec<String>> {
    pairs
        .into_iter()
        .map(|(k, v)| vec![k, v.to_string()])
        .collect()
}

async fn queue_counts(db: &Db) -> AppResult<Vec<Stat>> {
    let mut out = Vec::new();
    for status in ["Submitted", "Fulfilment Prepared", "Awaiting Approval"] {
        let n = scalar(
            db,
            "SELECT COUNT(*) FROM needs_lists WHERE status = $1",
            &[P::from(status)],
        )
        .await?;
        out.push(stat(&format!("Lists {status}"), n));
    }
    Ok(out)
}

async fn gov_stock_total(db: &Db) -> AppResult<i64> {
    scalar(db, &format!("SELECT COALESCE(CAST(SUM(b.quantity) AS BIGINT), 0) FROM stock_balances b JOIN hubs h ON h.id = b.hub_id WHERE {GOV}"), &[]).await
}

pub async fn build(db: &Db, user: &SessionUser) -> AppResult<Dashboard> {
    match user.role {
        Role::LogisticsManager => manager(db).await,
        Role::LogisticsOfficer => officer(db, user).await,
        Role::MainHubUser | Role::SubHubUser => hub_user(db, user).await,
        Role::AgencyHubUser => agency(db, user).await,
        Role::InventoryClerk => clerk(db, user).await,
        Role::Auditor => auditor(db).await,
        Role::Admin => admin(db).await,
    }
}

async fn manager(db: &Db) -> AppResult<Dashboard> {
    let mut stats = vec![stat("Government stock (units)", gov_stock_total(db).await?)];
    stats.extend(queue_counts(db).await?);
    let approvals = scalar(
        db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'needs_list_approve' AND at > $1",
        &[P::from(days_ago(30))],
    )
    .await?;
    stats.push(stat("Approvals, last 30 days", approvals));
    let hubs = pairs(db, "SELECT hub_type || ' · ' || status, COUNT(*) FROM hubs GROUP BY hub_type, status ORDER BY hub_type, status", &[]).await?;
    let per_hub: Vec<(String, String, i64, Option<String>)> = sqlx::query_as(&format!(
        "SELECT h.name, h.hub_type, COALESCE(CAST(SUM(b.quantity) AS BIGINT), 0), MAX(b.last_movement_at) FROM hubs h \
         LEFT JOIN stock_balances b ON b.hub_id = h.id WHERE {GOV} GROUP BY h.id ORDER BY h.hub_type, h.name"
    ))
    .fetch_all(db)
    .await?;
    let by_category = pairs(
        db,
        &format!(
        "SELECT i.category, CAST(SUM(b.quantity) AS BIGINT) FROM stock_balances b JOIN items i ON i.id = b.item_id \
         JOIN hubs h ON h.id = b.hub_id WHERE {GOV} GROUP BY i.category ORDER BY i.category"
    ),
        &[],
    )
    .await?;
    Ok(Dashboard {
        title: "Logistics overview".into(),
        stats,
        chart: Some(BarChart {
            title: "Government stock by category".into(),
            bars: by_category,
        }),
        tables: vec![
            table(
                "Stock and last activity per hub",
                &["Hub", "Type", "Units", "Last movement"],
                per_hub
                    .into_iter()
                    .map(|(n, t, q, at)| {
                        vec![
                            n,
                            t,
                            q.to_string(),
                            at.as_deref()
                                .map(display_time)
                                .unwrap_or_else(|| "never".into()),
                        ]
                    })
                    .collect(),
                "No government hubs yet.",
            ),
            table(
                "Hubs by type and status",
                &["Type · status", "Hubs"],
                pair_rows(hubs),
                "No hubs yet.",
            ),
        ],
    })
}

async fn officer(db: &Db, user: &SessionUser) -> AppResult<Dashboard> {
    let mut stats = vec![stat("Government stock (units)", gov_stock_total(db).await?)];
    stats.extend(queue_counts(db).await?);
    let mine = scalar(db,
        "SELECT COUNT(DISTINCT entity_id) FROM audit_log WHERE user_id = $1 AND action IN ('fulfilment_save', 'fulfilment_submit')",
        &[P::I(user.id)]).await?;
    stats.push(stat("Lists you prepared", mine));
    let submitted: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT n.number, h.name, n.priority, COALESCE(n.submitted_at, n.created_at) FROM needs_lists n \
         JOIN hubs h ON h.id = n.hub_id WHERE n.status = 'Submitted' ORDER BY n.submitted_at LIMIT 20",
    )
    .fetch_all(db)
    .await?;
    Ok(Dashboard {
        title: "Logistics officer".into(),
        stats,
        chart: None,
        tables: vec![table(
            "Submitted lists waiting for a fulfilment",
            &["List", "Requesting hub", "Priority", "Submitted"],
            submitted
                .into_iter()
                .map(|(a, b, c, d)| vec![a, b, c, display_time(&d)])
                .collect(),
            "No submitted lists.",
        )],
    })
}

async fn own_hub_stock(db: &Db, hub: i64) -> AppResult<i64> {
    scalar(
        db,
        "SELECT COALESCE(CAST(SUM(quantity) AS BIGINT), 0) FROM stock_balances WHERE hub_id = $1",
        &[P::I(hub)],
    )
    .await
}

async fn recent_movements(db: &Db, hub: i64, limit: i64) -> AppResult<Vec<Vec<String>>> {
    let rows: Vec<(String, String, String, i64, String)> = sqlx::query_as(
        "SELECT m.created_at, i.name, m.direction, m.quantity, i.unit FROM stock_movements m \
         JOIN items i ON i.id = m.item_id WHERE m.hub_id = $1 ORDER BY m.id DESC LIMIT $2",
    )
    .bind(hub)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, item, dir, q, unit)| vec![display_time(&at), item, dir, format!("{q} {unit}")])
        .collect())
}

async fn hub_user(db: &Db, user: &SessionUser) -> AppResult<Dashboard> {
    let hub = user.hub_id.unwrap_or_default();
    let low: Vec<(String, i64, i64, String)> = sqlx::query_as(
        "SELECT i.name, COALESCE(b.quantity, 0) AS q, i.min_qty, i.unit FROM items i \
         LEFT JOIN stock_balances b ON b.item_id = i.id AND b.hub_id = $1 \
         WHERE COALESCE(b.quantity, 0) < i.min_qty ORDER BY COALESCE(b.quantity, 0) * 1.0 / i.min_qty, i.name LIMIT 15",
    )
    .bind(hub)
    .fetch_all(db)
    .await?;
    let low_count = scalar(db,
        "SELECT COUNT(*) FROM items i LEFT JOIN stock_balances b ON b.item_id = i.id AND b.hub_id = $1 WHERE COALESCE(b.quantity, 0) < i.min_qty",
        &[P::I(hub)]).await?;
    let incoming = pairs(db,
        "SELECT number || ' · ' || status, 1 FROM needs_lists WHERE hub_id = $1 AND status IN ('Approved', 'Dispatched', 'Resent for Dispatch') ORDER BY id DESC LIMIT 20",
        &[P::I(hub)]).await?;
    let to_dispatch = pairs(db,
        "SELECT n.number || ' · ' || h.name || ' · ' || n.priority, 1 FROM needs_lists n JOIN hubs h ON h.id = n.hub_id \
         WHERE n.status IN ('Approved', 'Resent for Dispatch') \
         AND EXISTS (SELECT 1 FROM needs_list_allocations a WHERE a.needs_list_id = n.id AND a.source_hub_id = $1) \
         ORDER BY n.updated_at LIMIT 20",
        &[P::I(hub)]).await?;
    let ready = to_dispatch.len();
    let mut tables = vec![
        table(
            "Ready to dispatch from this hub",
            &["List · requested by · priority"],
            to_dispatch.into_iter().map(|(l, _)| vec![l]).collect(),
            "Nothing to dispatch.",
        ),
        table(
            "Low-stock items (below minimum)",
            &["Item", "On hand", "Minimum"],
            low.into_iter()
                .map(|(n, q, m, u)| vec![n, format!("{q} {u}"), format!("{m} {u}")])
                .collect(),
            "Nothing is below its minimum.",
        ),
        table(
            "Incoming lists",
            &["List · status"],
            incoming.into_iter().map(|(l, _)| vec![l]).collect(),
            "No incoming lists.",
        ),
    ];
    if user.role == Role::SubHubUser {
        let dispatches = pairs(db,
            "SELECT m.link_id || ' · ' || i.name || ' · ' || m.quantity || ' ' || i.unit, 1 FROM stock_movements m \
             JOIN items i ON i.id = m.item_id WHERE m.hub_id = $1 AND m.direction = 'OUT' AND m.link_id LIKE 'dispatch:%' \
             ORDER BY m.id DESC LIMIT 10",
            &[P::I(hub)]).await?;
        tables.push(table(
            "Recent dispatches from this hub",
            &["Dispatch · item · quantity"],
            dispatches.into_iter().map(|(l, _)| vec![l]).collect(),
            "No dispatches yet.",
        ));
        tables.push(table(
            "Recent movements",
            &["When", "Item", "In/Out", "Quantity"],
            recent_movements(db, hub, 10).await?,
            "No movements yet.",
        ));
    }
    Ok(Dashboard {
        title: format!("{} dashboard", user.hub_name.clone().unwrap_or_default()),
        stats: vec![
            stat("Stock on hand (units)", own_hub_stock(db, hub).await?),
            stat("Low-stock items", low_count),
            stat("Lists ready to dispatch", ready),
        ],
        chart: None,
        tables,
    })
}

async fn agency(db: &Db, user: &SessionUser) -> AppResult<Dashboard> {
    let hub = user.hub_id.unwrap_or_default();
    let by_status = pairs(
        db,
        "SELECT status, COUNT(*) FROM needs_lists WHERE hub_id = $1 GROUP BY status ORDER BY status",
        &[P::I(hub)],
    )
    .await?;
    let approved = scalar(db, "SELECT COUNT(*) FROM needs_lists WHERE hub_id = $1 AND status IN ('Approved', 'Dispatched', 'Completed', 'Resent for Dispatch')", &[P::I(hub)]).await?;
    let pending = scalar(db, "SELECT COUNT(*) FROM needs_lists WHERE hub_id = $1 AND status IN ('Submitted', 'Fulfilment Prepared', 'Awaiting Approval')", &[P::I(hub)]).await?;
    let receipts = scalar(db, "SELECT COUNT(*) FROM stock_movements WHERE hub_id = $1 AND direction = 'IN' AND created_at > $2", &[P::I(hub), P::from(days_ago(30))]).await?;
    Ok(Dashboard {
        title: format!("{} dashboard", user.hub_name.clone().unwrap_or_default()),
        stats: vec![
            stat(
                "Stock on hand (units)",
                own_hub_stock(db, user.hub_id.unwrap_or_default()).await?,
            ),
            stat("Lists approved", approved),
            stat("Lists pending", pending),
            stat("Receipts, last 30 days", receipts),
        ],
        chart: None,
        tables: vec![table(
            "Your needs lists by status",
            &["Status", "Lists"],
            pair_rows(by_status),
            "No needs lists yet.",
        )],
    })
}

async fn clerk(db: &Db, user: &SessionUser) -> AppResult<Dashboard> {
    let hub = user.hub_id.unwrap_or_default();
    let today = format!("{}T00:00:00.000Z", chrono::Utc::now().format("%Y-%m-%d"));
    let sums = |dir: &'static str| {
        let today = today.clone();
        async move {
            let row: (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), COALESCE(CAST(SUM(quantity) AS BIGINT), 0) FROM stock_movements WHERE hub_id = $1 AND direction = $2 AND created_at >= $3",
            )
            .bind(hub)
            .bind(dir)
            .bind(today)
            .fetch_one(db)
            .await?;
            AppResult::Ok(row)
        }
    };
    let (in_n, in_q) = sums("IN").await?;
    let (out_n, out_q) = sums("OUT").await?;
    let lines = scalar(
        db,
        "SELECT COUNT(*) FROM stock_balances WHERE hub_id = $1 AND quantity > 0",
        &[P::I(hub)],
    )
    .await?;
    Ok(Dashboard {
        title: format!("{} · today", user.hub_name.clone().unwrap_or_default()),
        stats: vec![
            stat("Intakes today", format!("{in_n} ({in_q} units)")),
            stat("Distributions today", format!("{out_n} ({out_q} units)")),
            stat("Item lines in stock", lines),
        ],
        chart: None,
        tables: vec![table(
            "Recent movements",
            &["When", "Item", "In/Out", "Quantity"],
            recent_movements(db, hub, 15).await?,
            "No movements yet.",
        )],
    })
}

async fn auditor(db: &Db) -> AppResult<Dashboard> {
    let totals = pairs(db, "SELECT status, COUNT(*) FROM needs_lists WHERE status <> 'Draft' GROUP BY status ORDER BY status", &[]).await?;
    let approved = scalar(db, "SELECT COUNT(*) FROM needs_lists WHERE status IN ('Approved', 'Dispatched', 'Resent for Dispatch', 'Completed')", &[]).await?;
    let completed = scalar(
        db,
        "SELECT COUNT(*) FROM needs_lists WHERE status = 'Completed'",
        &[],
    )
    .await?;
    let within_14 = scalar(db,
        "SELECT COUNT(*) FROM needs_lists n WHERE n.status = 'Completed' AND EXISTS (SELECT 1 FROM audit_log a \
         WHERE a.entity = 'needs_list' AND a.entity_id = CAST(n.id AS TEXT) AND a.action = 'needs_list_receive' \
         AND julianday(a.at) - julianday(n.submitted_at) <= 14)", &[]).await?;
    let share = if completed == 0 {
        "n/a (none completed)".to_string()
    } else {
        format!("{}%", within_14 * 100 / completed)
    };
    let since = days_ago(30);
    let activity: (i64, i64, i64) = sqlx::query_as(&format!(
        "SELECT COUNT(*), COALESCE(CAST(SUM(CASE WHEN m.direction = 'IN' THEN m.quantity END) AS BIGINT), 0), \
         COALESCE(CAST(SUM(CASE WHEN m.direction = 'OUT' THEN m.quantity END) AS BIGINT), 0) FROM stock_movements m \
         JOIN hubs h ON h.id = m.hub_id WHERE {GOV} AND m.created_at > $1"
    ))
    .bind(&since)
    .fetch_one(db)
    .await?;
    Ok(Dashboard {
        title: "Monitoring and evaluation".into(),
        stats: vec![
            stat("Lists approved", approved),
            stat("Lists completed", completed),
            stat("Completed within 14 days", share),
            stat(
                "Movements, last 30 days",
                format!("{} ({} in, {} out)", activity.0, activity.1, activity.2),
            ),
        ],
        chart: None,
        tables: vec![table(
            "Needs lists by status",
            &["Status", "Lists"],
            pair_rows(totals),
            "No submitted needs lists yet.",
        )],
    })
}

/// Name, user, last sync, last seen, operations of the last sync, offline enabled, revoked.
type DeviceLine = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    i64,
    i64,
);

async fn admin(db: &Db) -> AppResult<Dashboard> {
    let by_role = pairs(
        db,
        "SELECT role, COUNT(*) FROM users WHERE active = 1 GROUP BY role ORDER BY role",
        &[],
    )
    .await?;
    let by_type = pairs(
        db,
        "SELECT hub_type, COUNT(*) FROM hubs GROUP BY hub_type ORDER BY hub_type",
        &[],
    )
    .await?;
    // From the device registry (issue 12): mode, revocations and the last sync of each.
    let by_mode = pairs(
        db,
        "SELECT CASE WHEN revoked_at IS NOT NULL THEN 'revoked' \
         WHEN wipe_requested_at IS NOT NULL THEN 'deprovisioning' \
         WHEN offline_enabled = 1 THEN 'offline-enabled' ELSE 'online-only' END AS mode, COUNT(*) \
         FROM devices GROUP BY mode ORDER BY mode",
        &[],
    )
    .await?;
    let devices: Vec<DeviceLine> =
        sqlx::query_as(
            "SELECT COALESCE(d.name, d.id), u.username, d.last_sync_at, d.last_seen_at, \
             d.last_sync_count, d.offline_enabled, \
             CASE WHEN d.revoked_at IS NULL THEN 0 ELSE 1 END FROM devices d \
             LEFT JOIN users u ON u.id = d.user_id \
             ORDER BY d.revoked_at IS NOT NULL, COALESCE(d.last_sync_at, '') DESC, d.registered_at DESC LIMIT 20",
        )
        .fetch_all(db)
        .await?;
    let health = pairs(db, "SELECT status, COUNT(*) FROM operations WHERE received_at > $1 GROUP BY status ORDER BY status", &[P::from(days_ago(7))]).await?;
    Ok(Dashboard {
        title: "Administration".into(),
        stats: health
            .iter()
            .map(|(s, n)| stat(&format!("Operations {s} (7 days)"), n))
            .collect(),
        chart: None,
        tables: vec![
            table(
                "Active users by role",
                &["Role", "Users"],
                pair_rows(by_role),
                "No users.",
            ),
            table(
                "Hubs by type",
                &["Type", "Hubs"],
                pair_rows(by_type),
                "No hubs.",
            ),
            table(
                "Devices by mode",
                &["Mode", "Devices"],
                pair_rows(by_mode),
                "No device has signed in with an id yet.",
            ),
            table(
                "Devices",
                &[
                    "Device",
                    "User",
                    "Mode",
                    "Last sync",
                    "Operations",
                    "Last seen",
                ],
                devices
                    .into_iter()
                    .map(|(d, u, sync, seen, n, offline, revoked)| {
                        let mode = if revoked != 0 {
                            "Revoked"
                        } else if offline != 0 {
                            "Offline enabled"
                        } else {
                            "Online only"
                        };
                        let time =
                            |t: Option<String>| t.map_or("never".to_string(), |t| display_time(&t));
                        vec![
                            d,
                            u.unwrap_or_default(),
                            mode.into(),
                            time(sync),
                            n.to_string(),
                            time(seen),
                        ]
                    })
                    .collect(),
                "No device has signed in with an id yet.",
            ),
        ],
    })
}
