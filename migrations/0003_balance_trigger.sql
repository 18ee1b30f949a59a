-- The balance follows the ledger inside the database: every movement updates its (hub, item)
-- balance in the same statement. An OUT that would take the balance below zero fails the
-- balance's CHECK, which aborts the whole INSERT (movement included): stock can never go
-- negative, whoever writes the ledger.
CREATE TRIGGER stock_movements_balance AFTER INSERT ON stock_movements
BEGIN
    INSERT OR IGNORE INTO stock_balances (hub_id, item_id, quantity, last_movement_at)
        VALUES (NEW.hub_id, NEW.item_id, 0, NEW.created_at);
    UPDATE stock_balances
        SET quantity = quantity + CASE NEW.direction WHEN 'IN' THEN NEW.quantity ELSE -NEW.quantity END,
            last_movement_at = NEW.created_at
        WHERE hub_id = NEW.hub_id AND item_id = NEW.item_id;
END;
