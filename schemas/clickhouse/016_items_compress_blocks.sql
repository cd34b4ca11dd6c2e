-- Smaller compressed blocks for items: 8 KiB to 64 KiB of uncompressed data per block (the
-- server defaults are 64 KiB to 1 MiB). A rare-name search finds its rows through the text
-- index in ~200 scattered granules of 1,024 rows at 10M items; every granule read
-- decompresses the whole block holding it, and with 1 MiB blocks (~128 granules of
-- published_at each) that was nearly every block of published_at, status and
-- embargoed_until: all-time rare-name search 50-70 ms -> 30-44 ms at 10M items
-- (bench/bench_queries.py, same parts). The price is ~7 % more bytes on disk for items.
-- New parts and merges use it; existing parts get it as they merge.
ALTER TABLE {db}.items MODIFY SETTING min_compress_block_size = 8192, max_compress_block_size = 65536;
