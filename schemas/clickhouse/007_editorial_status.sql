-- Editorial status travels with every item (ninjs pubstatus/embargoed, NewsML-G2
-- pubStatus/embargo, urgency, subjects) so analysts can filter on it and live views can
-- hide withdrawn copy and hold embargoed copy until its time.
ALTER TABLE {db}.items
    ADD COLUMN IF NOT EXISTS status          LowCardinality(String) DEFAULT 'usable',
    ADD COLUMN IF NOT EXISTS embargoed_until Nullable(DateTime64(3, 'UTC')),
    ADD COLUMN IF NOT EXISTS urgency         Nullable(UInt8),
    ADD COLUMN IF NOT EXISTS subjects        Array(LowCardinality(String))
