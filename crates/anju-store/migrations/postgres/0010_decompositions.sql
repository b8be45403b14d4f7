-- Decompositions of the plan's targets to lower units (分解下达), as uploaded
-- files (indicator,org_unit,year,target): all in force, in upload order, as
-- several --targets files are for 'anju eval'.
CREATE TABLE decompositions (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT    NOT NULL,
    sm3         TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    rows        BIGINT  NOT NULL,
    uploaded_by TEXT    NOT NULL,
    uploaded_at TEXT    NOT NULL
);
