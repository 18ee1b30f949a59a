-- PostgreSQL version of ../0003_balance_trigger.sql: the same tables, columns and meaning. Differences:
-- BIGINT for SQLite's 64-bit INTEGER (identity columns for INTEGER PRIMARY KEY), PL/pgSQL triggers,
-- COLLATE NOCASE from the case-insensitive ICU collation made in 0001.
-- The balance follows the ledger inside the database: every movement updates its (hub, item)
-- balance in the same statement. An OUT that would take the balance below zero fails the
-- balance's CHECK, which aborts the whole INSERT (movement included): stock can never go
-- negative, whoever writes the ledger.
CREATE FUNCTION stock_movements_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stock_balances (hub_id, item_id, quantity, last_movement_at)
        VALUES (NEW.hub_id, NEW.item_id, 0, NEW.created_at)
        ON CONFLICT (hub_id, item_id) DO NOTHING;
    UPDATE stock_balances
        SET quantity = quantity + CASE NEW.direction WHEN 'IN' THEN NEW.quantity ELSE -NEW.quantity END,
            last_movement_at = NEW.created_at
        WHERE hub_id = NEW.hub_id AND item_id = NEW.item_id;
    RETURN NULL;
END $$;
CREATE TRIGGER stock_movements_balance AFTER INSERT ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION stock_movements_balance();
