-- The dbtools demo shop: twelve tables, written in the SQL that SQLite and PostgreSQL both accept,
-- so the same file builds the bundled SQLite source and a live PostgreSQL copy.
-- Enumerations are VARCHAR columns with CHECK (... IN (...)), the portable form of an enum.
-- event_log has no primary key on purpose: spanner-migrate must give it one.

CREATE TABLE customers (
    customer_id BIGINT NOT NULL PRIMARY KEY,
    email VARCHAR(200) NOT NULL UNIQUE,
    full_name VARCHAR(120) NOT NULL,
    tier VARCHAR(10) NOT NULL DEFAULT 'bronze'
        CHECK (tier IN ('bronze', 'silver', 'gold', 'platinum')),
    marketing_opt_in BOOLEAN NOT NULL DEFAULT FALSE,
    preferences JSON,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE addresses (
    address_id BIGINT NOT NULL PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (customer_id) ON DELETE CASCADE,
    kind VARCHAR(10) NOT NULL CHECK (kind IN ('billing', 'shipping')),
    line1 VARCHAR(200) NOT NULL,
    city VARCHAR(80) NOT NULL,
    postal_code VARCHAR(12),
    country_code CHAR(2) NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE categories (
    category_id INTEGER NOT NULL PRIMARY KEY,
    parent_id INTEGER REFERENCES categories (category_id),
    name VARCHAR(80) NOT NULL UNIQUE,
    slug VARCHAR(80) NOT NULL
);

CREATE TABLE suppliers (
    supplier_id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(120) NOT NULL,
    country_code CHAR(2) NOT NULL,
    contact_email VARCHAR(200),
    rating NUMERIC(3, 2) CHECK (rating BETWEEN 0 AND 5)
);

CREATE TABLE products (
    product_id BIGINT NOT NULL PRIMARY KEY,
    sku VARCHAR(20) NOT NULL UNIQUE,
    name VARCHAR(160) NOT NULL,
    category_id INTEGER NOT NULL REFERENCES categories (category_id),
    supplier_id INTEGER REFERENCES suppliers (supplier_id),
    unit_price NUMERIC(10, 2) NOT NULL CHECK (unit_price >= 0),
    weight_kg NUMERIC(8, 3),
    status VARCHAR(12) NOT NULL DEFAULT 'active'
        CHECK (status IN ('draft', 'active', 'discontinued')),
    attributes JSON,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE inventory (
    product_id BIGINT NOT NULL REFERENCES products (product_id),
    warehouse VARCHAR(8) NOT NULL CHECK (warehouse IN ('AMS', 'DUB', 'FRA', 'IAD')),
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    reorder_level INTEGER NOT NULL DEFAULT 10,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (product_id, warehouse)
);

CREATE TABLE orders (
    order_id BIGINT NOT NULL PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (customer_id),
    shipping_address_id BIGINT REFERENCES addresses (address_id),
    status VARCHAR(12) NOT NULL
        CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
    currency CHAR(3) NOT NULL DEFAULT 'EUR',
    subtotal NUMERIC(12, 2) NOT NULL,
    tax NUMERIC(12, 2) NOT NULL,
    total NUMERIC(12, 2) NOT NULL,
    placed_at TIMESTAMP NOT NULL,
    notes TEXT
);

CREATE TABLE order_items (
    order_id BIGINT NOT NULL REFERENCES orders (order_id) ON DELETE CASCADE,
    line_no INTEGER NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products (product_id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price NUMERIC(10, 2) NOT NULL,
    discount_pct NUMERIC(5, 2) NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE payments (
    payment_id BIGINT NOT NULL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (order_id),
    method VARCHAR(14) NOT NULL CHECK (method IN ('card', 'paypal', 'bank_transfer', 'gift_card')),
    amount NUMERIC(12, 2) NOT NULL,
    status VARCHAR(10) NOT NULL CHECK (status IN ('authorized', 'captured', 'failed', 'refunded')),
    paid_at TIMESTAMP NOT NULL,
    gateway_response JSON
);

CREATE TABLE shipments (
    shipment_id BIGINT NOT NULL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (order_id),
    carrier VARCHAR(10) NOT NULL CHECK (carrier IN ('dhl', 'ups', 'postnl', 'dpd')),
    tracking_number VARCHAR(40) NOT NULL,
    shipped_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);

CREATE TABLE reviews (
    review_id BIGINT NOT NULL PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (product_id),
    customer_id BIGINT NOT NULL REFERENCES customers (customer_id),
    rating SMALLINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title VARCHAR(120),
    body TEXT,
    helpful_votes INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE event_log (
    occurred_at TIMESTAMP NOT NULL,
    actor VARCHAR(40) NOT NULL,
    action VARCHAR(40) NOT NULL,
    entity_type VARCHAR(20) NOT NULL,
    entity_id BIGINT NOT NULL,
    payload JSON
);

CREATE INDEX addresses_by_customer ON addresses (customer_id);
CREATE INDEX products_by_category ON products (category_id, unit_price);
CREATE INDEX orders_by_customer ON orders (customer_id, placed_at);
CREATE INDEX orders_by_status ON orders (status);
CREATE INDEX payments_by_order ON payments (order_id);
CREATE INDEX shipments_by_order ON shipments (order_id);
CREATE INDEX reviews_by_product ON reviews (product_id, rating);
CREATE INDEX event_log_by_time ON event_log (occurred_at);
