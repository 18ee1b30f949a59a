//! A seeded generator of operations and request bodies: plausible operations over the demo
//! world, then mutations (wrong types, huge and negative numbers, missing and extra fields,
//! long and odd Unicode strings, reused ids, unknown kinds) and junk bodies.
use serde_json::{json, Map, Value};

/// xorshift64*: small, deterministic, good enough to pick cases (no dependency).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Ids that exist in the world, so a fair share of operations get past parsing.
pub struct World {
    pub hubs: Vec<i64>,
    pub items: Vec<i64>,
    pub events: Vec<i64>,
    pub lists: Vec<i64>,
}

pub const KINDS: [&str; 18] = [
    "intake",
    "distribution",
    "needs_list_create",
    "transfer_request",
    "transfer_approve",
    "transfer_reject",
    "needs_list_update",
    "needs_list_delete",
    "needs_list_submit",
    "fulfilment_save",
    "fulfilment_submit",
    "needs_list_approve",
    "needs_list_reject",
    "needs_list_dispatch",
    "needs_list_receive",
    "change_request_create",
    "change_request_process",
    "fulfilment_edit",
];

const ODD: [&str; 12] = [
    "",
    " ",
    "\u{0}",
    "\u{202e}evil\u{202c}",
    "\u{200b}\u{200d}",
    "👩‍👩‍👧‍👦🚚",
    "e\u{301}\u{301}\u{301}",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "=HYPERLINK(\"x\")",
    "\r\n\t",
    "\u{fffd}\u{ffff}",
];

pub fn odd_string(rng: &mut Rng) -> String {
    match rng.below(10) {
        0 | 1 => rng.pick(&ODD).to_string(),
        2 => rng.pick(&ODD).repeat(1 + rng.below(300)),
        3 => "x".repeat(rng.below(5000)),
        _ => format!("Shelter {}", rng.below(50)),
    }
}

pub fn odd_number(rng: &mut Rng) -> Value {
    match rng.below(10) {
        0 => json!(i64::MAX),
        1 => json!(i64::MIN),
        2 => json!(-1),
        3 => json!(0),
        4 => json!(1e300),
        5 => json!(u64::MAX),
        6 => json!(2.5),
        7 => json!("12"),
        8 => Value::Null,
        _ => json!(1 + rng.below(50)),
    }
}

fn qty(rng: &mut Rng) -> Value {
    if rng.chance(85) {
        json!(1 + rng.below(40))
    } else {
        odd_number(rng)
    }
}

fn allocations(rng: &mut Rng, w: &World) -> Value {
    let n = rng.below(4);
    Value::Array(
        (0..n)
            .map(|_| json!({ "item_id": rng.pick(&w.items), "source_hub_id": rng.pick(&w.hubs), "quantity": qty(rng) }))
            .collect(),
    )
}

fn list_id(rng: &mut Rng, w: &World) -> Value {
    if w.lists.is_empty() || rng.chance(10) {
        odd_number(rng)
    } else {
        json!(rng.pick(&w.lists))
    }
}

fn payload(kind: &str, rng: &mut Rng, w: &World) -> Value {
    let list = json!({
        "event_id": rng.pick(&w.events), "priority": *rng.pick(&["Low", "Medium", "High", "Urgent", "Now!"]),
        "submit": rng.chance(50),
        "lines": (0..1 + rng.below(3)).map(|_| json!({ "item_id": rng.pick(&w.items), "quantity": qty(rng) })).collect::<Vec<_>>(),
    });
    match kind {
        "intake" => {
            json!({ "item_id": rng.pick(&w.items), "quantity": qty(rng), "event_id": rng.pick(&w.events), "donor": odd_string(rng) })
        }
        "distribution" => {
            json!({ "item_id": rng.pick(&w.items), "quantity": qty(rng), "beneficiary": odd_string(rng), "notes": odd_string(rng) })
        }
        "needs_list_create" => list,
        "needs_list_update" => json!({ "needs_list_id": list_id(rng, w), "list": list }),
        "transfer_request" => {
            json!({ "to_hub_id": rng.pick(&w.hubs), "item_id": rng.pick(&w.items), "quantity": qty(rng) })
        }
        "transfer_approve" | "transfer_reject" => {
            json!({ "transfer_id": 1 + rng.below(20), "reason": odd_string(rng) })
        }
        "fulfilment_save" | "fulfilment_submit" => {
            json!({ "needs_list_id": list_id(rng, w), "allocations": allocations(rng, w) })
        }
        "change_request_create" | "fulfilment_edit" => {
            json!({ "needs_list_id": list_id(rng, w), "allocations": allocations(rng, w), "reason": odd_string(rng) })
        }
        "change_request_process" => {
            json!({ "change_request_id": 1 + rng.below(10), "decision": *rng.pick(&["approve", "reject", "clarify", "maybe"]), "note": odd_string(rng) })
        }
        _ => json!({ "needs_list_id": list_id(rng, w), "reason": odd_string(rng) }),
    }
}

/// One operation, perhaps mutated. `used` holds earlier ids (reused now and then).
pub fn operation(rng: &mut Rng, w: &World, used: &mut Vec<String>) -> Value {
    let kind = *rng.pick(&KINDS);
    let id = if !used.is_empty() && rng.chance(8) {
        rng.pick(used).clone()
    } else {
        let id =
            uuid::Uuid::from_u128(((rng.next() as u128) << 64) | rng.next() as u128).to_string();
        used.push(id.clone());
        id
    };
    let mut op = json!({
        "id": id, "kind": kind, "hub_id": rng.pick(&w.hubs), "created_at": "2026-11-30T10:00:00Z",
        "device_id": "fuzz-device", "payload": payload(kind, rng, w),
    });
    let mutations = if rng.chance(35) { 1 + rng.below(3) } else { 0 };
    for _ in 0..mutations {
        mutate(rng, &mut op);
    }
    op
}

fn mutate(rng: &mut Rng, op: &mut Value) {
    let Some(obj) = op.as_object_mut() else {
        return;
    };
    let target: &mut Map<String, Value> = if rng.chance(50) {
        match obj.get_mut("payload").and_then(Value::as_object_mut) {
            Some(p) => p,
            None => return,
        }
    } else {
        obj
    };
    let keys: Vec<String> = target.keys().cloned().collect();
    if keys.is_empty() {
        return;
    }
    let key = rng.pick(&keys).clone();
    match rng.below(9) {
        0 => {
            target.remove(&key);
        }
        1 => {
            target.insert(format!("extra_{}", rng.below(5)), json!(odd_string(rng)));
        }
        2 => {
            target.insert(key, odd_number(rng));
        }
        3 => {
            target.insert(key, json!(odd_string(rng)));
        }
        4 => {
            target.insert(key, json!([1, "two", null]));
        }
        5 => {
            target.insert(key, json!({ "nested": { "deeper": [] } }));
        }
        6 => {
            target.insert("kind".into(), json!(format!("unknown_{}", rng.below(3))));
        }
        7 => {
            target.insert(
                "id".into(),
                json!(*rng.pick(&["not-a-uuid", "", "00000000-0000-0000-0000-000000000000"])),
            );
        }
        _ => {
            target.insert(key, Value::Bool(rng.chance(50)));
        }
    }
}

/// A body that is not a well-formed request: broken JSON, wrong shapes, odd encodings.
pub fn junk_body(rng: &mut Rng) -> String {
    match rng.below(9) {
        0 => "{".into(),
        1 => "null".into(),
        2 => "[]".into(),
        3 => json!({ "operations": "all" }).to_string(),
        4 => json!({ "device_id": odd_string(rng), "operations": [] }).to_string(),
        5 => json!({ "device_id": "d", "operations": [1, "x", null, []] }).to_string(),
        6 => String::from_utf8_lossy(&(0..rng.below(200)).map(|_| rng.next() as u8).collect::<Vec<_>>()).into_owned(),
        7 => json!({ "name": odd_string(rng), "type": odd_string(rng), "category": odd_number(rng), "min_qty": odd_number(rng), "username": odd_string(rng), "password": odd_string(rng), "role": "ADMIN", "start_date": odd_string(rng) }).to_string(),
        _ => format!("{{\"device_id\": \"d\", \"operations\": [{}]}}", "{}".repeat(rng.below(3))),
    }
}
