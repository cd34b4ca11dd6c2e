-- The database on every node of the cluster (the sink's own CREATE DATABASE is then a no-op).
CREATE DATABASE IF NOT EXISTS {db} ON CLUSTER '{cluster}'
