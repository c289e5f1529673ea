-- Drops everything 0001_schema.sql created, functions from sql/ included.
drop schema jobmon cascade;
