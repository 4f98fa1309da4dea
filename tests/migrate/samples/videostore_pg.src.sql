-- A small video-rental schema in the spirit of PostgreSQL's pagila sample (written for these tests).
CREATE TYPE mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17');
CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);

CREATE FUNCTION last_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_update = CURRENT_TIMESTAMP;
    RETURN NEW;
END $$;

CREATE TABLE actor (
    actor_id serial PRIMARY KEY,
    first_name text NOT NULL,
    last_name text NOT NULL,
    last_update timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_actor_last_name ON actor (last_name);

CREATE TABLE category (
    category_id serial PRIMARY KEY,
    name text NOT NULL,
    last_update timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE country (
    country_id serial PRIMARY KEY,
    country text NOT NULL,
    last_update timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE city (
    city_id serial PRIMARY KEY,
    city text NOT NULL,
    country_id integer NOT NULL REFERENCES country (country_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    last_update timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_fk_country_id ON city (country_id);

CREATE TABLE address (
    address_id serial PRIMARY KEY,
    address text NOT NULL,
    address2 text,
    district text NOT NULL,
    city_id integer NOT NULL REFERENCES city (city_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    postal_code text,
    phone text NOT NULL,
    location point,
    last_update timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_fk_city_id ON address (city_id);

CREATE TABLE language (
    language_id serial PRIMARY KEY,
    name character(20) NOT NULL,
    last_update timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE film (
    film_id serial PRIMARY KEY,
    title text NOT NULL,
    description text,
    release_year year,
    language_id integer NOT NULL REFERENCES language (language_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    original_language_id integer REFERENCES language (language_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    rental_duration smallint NOT NULL DEFAULT 3,
    rental_rate numeric(4,2) NOT NULL DEFAULT 4.99,
    length smallint,
    replacement_cost numeric(5,2) NOT NULL DEFAULT 19.99,
    rating mpaa_rating DEFAULT 'G',
    last_update timestamptz NOT NULL DEFAULT now(),
    special_features text[],
    fulltext tsvector NOT NULL,
    CONSTRAINT film_rental_duration_check CHECK (rental_duration > 0)
);
CREATE INDEX film_fulltext_idx ON film USING gist (fulltext);
CREATE INDEX idx_title ON film (title);
CREATE INDEX idx_fk_language_id ON film (language_id);
CREATE TRIGGER film_fulltext_trigger BEFORE INSERT OR UPDATE ON film FOR EACH ROW
    EXECUTE FUNCTION tsvector_update_trigger('fulltext', 'pg_catalog.english', 'title', 'description');

CREATE TABLE film_actor (
    actor_id integer NOT NULL REFERENCES actor (actor_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    film_id integer NOT NULL REFERENCES film (film_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    last_update timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor_id, film_id)
);
CREATE INDEX idx_fk_film_id ON film_actor (film_id);

CREATE TABLE film_category (
    film_id integer NOT NULL REFERENCES film (film_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    category_id integer NOT NULL REFERENCES category (category_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    last_update timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (film_id, category_id)
);

CREATE TABLE store (
    store_id serial PRIMARY KEY,
    manager_staff_id integer NOT NULL,
    address_id integer NOT NULL REFERENCES address (address_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    last_update timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX idx_unq_manager_staff_id ON store (manager_staff_id);

CREATE TABLE staff (
    staff_id serial PRIMARY KEY,
    first_name text NOT NULL,
    last_name text NOT NULL,
    address_id integer NOT NULL REFERENCES address (address_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    email text,
    store_id integer NOT NULL REFERENCES store (store_id),
    active boolean NOT NULL DEFAULT true,
    username text NOT NULL,
    password text,
    last_update timestamptz NOT NULL DEFAULT now(),
    picture bytea
);
ALTER TABLE store ADD CONSTRAINT store_manager_staff_id_fkey FOREIGN KEY (manager_staff_id) REFERENCES staff (staff_id) ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE customer (
    customer_id serial PRIMARY KEY,
    store_id integer NOT NULL REFERENCES store (store_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    first_name text NOT NULL,
    last_name text NOT NULL,
    email text,
    address_id integer NOT NULL REFERENCES address (address_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    activebool boolean NOT NULL DEFAULT true,
    create_date date NOT NULL DEFAULT CURRENT_DATE,
    last_update timestamptz DEFAULT now(),
    active integer,
    external_ref uuid DEFAULT gen_random_uuid(),
    preferences jsonb DEFAULT '{}'::jsonb
);
CREATE INDEX idx_last_name ON customer (last_name);
CREATE INDEX idx_lower_email ON customer (lower(email));

CREATE TABLE inventory (
    inventory_id serial PRIMARY KEY,
    film_id integer NOT NULL REFERENCES film (film_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    store_id integer NOT NULL REFERENCES store (store_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    last_update timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_store_id_film_id ON inventory (store_id, film_id);

CREATE TABLE rental (
    rental_id serial PRIMARY KEY,
    rental_date timestamptz NOT NULL,
    inventory_id integer NOT NULL REFERENCES inventory (inventory_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    customer_id integer NOT NULL REFERENCES customer (customer_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    return_date timestamptz,
    staff_id integer NOT NULL REFERENCES staff (staff_id),
    last_update timestamptz NOT NULL DEFAULT now(),
    rental_period interval GENERATED ALWAYS AS (return_date - rental_date) STORED
);
CREATE UNIQUE INDEX idx_unq_rental ON rental (rental_date, inventory_id, customer_id);

CREATE TABLE payment (
    payment_id integer GENERATED BY DEFAULT AS IDENTITY,
    customer_id integer NOT NULL REFERENCES customer (customer_id),
    staff_id integer NOT NULL REFERENCES staff (staff_id),
    rental_id integer NOT NULL REFERENCES rental (rental_id),
    amount numeric(5,2) NOT NULL,
    payment_date timestamptz NOT NULL,
    PRIMARY KEY (payment_date, payment_id)
) PARTITION BY RANGE (payment_date);
CREATE TABLE payment_p2022_01 PARTITION OF payment FOR VALUES FROM ('2022-01-01') TO ('2022-02-01');
CREATE TABLE payment_p2022_02 PARTITION OF payment FOR VALUES FROM ('2022-02-01') TO ('2022-03-01');

CREATE TABLE audit_log (
    happened_at timestamp(6) without time zone NOT NULL,
    who text,
    details json,
    duration interval
);

CREATE VIEW actor_info AS SELECT actor_id, first_name, last_name FROM actor;
CREATE MATERIALIZED VIEW rental_by_category AS SELECT c.name AS category, count(*) AS rentals
    FROM rental r JOIN inventory i USING (inventory_id) JOIN film_category fc USING (film_id)
    JOIN category c USING (category_id) GROUP BY c.name;
CREATE FUNCTION film_in_stock(p_film_id integer, p_store_id integer, OUT p_film_count integer) RETURNS SETOF integer
    LANGUAGE sql AS $_$
     SELECT inventory_id FROM inventory WHERE film_id = $1 AND store_id = $2;
$_$;
CREATE TRIGGER last_updated BEFORE UPDATE ON actor FOR EACH ROW EXECUTE FUNCTION last_updated();

INSERT INTO language (name) VALUES ('English'), ('Italian'), ('Japanese');
INSERT INTO country (country) VALUES ('Afghanistan'), ('Côte d''Ivoire');
INSERT INTO city (city, country_id) VALUES ('A Coruña (La Coruña)', 2), ('Kabul', 1);
INSERT INTO address (address, district, city_id, phone, location) VALUES ('47 MySakila Drive', 'Alberta', 1, '', point(1, 1)), ('28 MySQL Boulevard', 'QLD', 2, '', NULL);
INSERT INTO category (name) VALUES ('Action'), ('Animation');
INSERT INTO actor (first_name, last_name) VALUES ('PENELOPE', 'GUINESS'), ('NICK', 'WAHLBERG'), ('ED', 'CHASE');
INSERT INTO film (title, description, release_year, language_id, rating, special_features, fulltext) VALUES
    ('ACADEMY DINOSAUR', 'A Epic Drama; with a tab	and a backslash \ in it', 2006, 1, 'PG', '{"Deleted Scenes","Behind the Scenes"}', to_tsvector('academy dinosaur')),
    ('ACE GOLDFINGER', NULL, 2006, 1, 'G', '{Trailers}', to_tsvector('ace goldfinger'));
INSERT INTO film_actor (actor_id, film_id) VALUES (1, 1), (2, 1), (3, 2);
INSERT INTO film_category (film_id, category_id) VALUES (1, 2), (2, 1);
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO store (manager_staff_id, address_id) VALUES (1, 1);
INSERT INTO staff (first_name, last_name, address_id, email, store_id, username, picture) VALUES ('Mike', 'Hillyer', 1, 'mike@example.com', 1, 'Mike', '\xdeadbeef');
COMMIT;
INSERT INTO customer (store_id, first_name, last_name, email, address_id, active) VALUES (1, 'MARY', 'SMITH', 'mary@example.org', 1, 1), (1, 'PATRICIA', 'JOHNSON', NULL, 2, 1);
INSERT INTO inventory (film_id, store_id) VALUES (1, 1), (1, 1), (2, 1);
INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id) VALUES ('2022-01-24 22:53:30+00', 1, 1, '2022-01-26 22:04:30+00', 1), ('2022-02-24 22:54:33+00', 3, 2, NULL, 1);
INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES (1, 1, 1, 2.99, '2022-01-25 11:30:37+00'), (2, 1, 2, 0.99, '2022-02-28 10:35:23+00');
INSERT INTO audit_log VALUES ('2024-01-01 00:00:00.123456', 'Mike', '{"action": "login"}', '1 day 02:00:00');
