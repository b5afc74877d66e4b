-- Change events for the tables reports read whose writers write no event of
-- their own (see services/bus/sql/004_data_changed.sql): every
-- statement that changes rows of them writes data.changed.contacts.<table>
-- (crmq.DataChanged) in its transaction.  version and updated_at alone are
-- no change: a card's version moves when its persons or channels change,
-- which no report reads.
SELECT bus.data_changed_watch ('contacts.clients', 'version', 'updated_at');
SELECT bus.data_changed_watch ('contacts.managers', 'version', 'updated_at');
SELECT bus.data_changed_watch ('contacts.interactions');
SELECT bus.data_changed_watch ('contacts.merges');
