-- Each log line carries its time and its stream (issue 22): a chunk of a workload's log keeps, beside
-- its bytes, an index of the lines that begin in it.

alter table workload_log add column lines bytea;

comment on column workload_log.lines is 'Per line that begins in this chunk, 13 bytes big-endian: its byte offset in data (4), its time in epoch milliseconds (8) and its stream (1: o stdout, e stderr, p the platform). Null for chunks written before.';
