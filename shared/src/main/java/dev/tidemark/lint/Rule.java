package dev.tidemark.lint;

import java.util.Arrays;
import java.util.Optional;

/**
 * The lint's rules. PostgreSQL rules come from the rule book of seed 004 (timestamps with time zone, foreign keys with
 * ON DELETE and an index, data loss needs a sign-off) and from what Squawk-style linters catch (locking index builds,
 * NOT NULL columns without a default); MongoDB and Elasticsearch rules flag data loss and changes that need a reindex.
 * Ids are stable: approval markers and pipelines name them.
 */
public enum Rule {
    /** A versioned migration has no undo migration. */
    TM001("missing-undo", Severity.WARNING, "add U<version>__<description> with the statements that reverse it"),
    /** An applied migration's file changed after it ran (its checksum differs from the history's). */
    TM002("edited-applied-migration", Severity.ERROR, "restore the file as applied and put the change in a new migration"),
    /** The erasure plan ({@code erasure.json}) does not parse: an erasure request would fail on this target. */
    TM003("erasure-plan-invalid", Severity.ERROR, "fix erasure.json (README, Erasure plan); the message names the field"),
    /** The schema after a PostgreSQL migration, on the scratch database, lacks a table the schema before it had. */
    SC001("schema-loses-table", Severity.ERROR, "export the data first, then approve; or keep the table until a contract release"),
    /** The schema after a PostgreSQL migration lacks a column (whatever the SQL looked like: a DO block, a function, ...). */
    SC002("schema-loses-column", Severity.ERROR, "stop reading and writing the column in a release before (contract phase), then approve"),
    /** An enum type lost a value: rows holding it cannot exist afterwards. */
    SC003("schema-loses-enum-value", Severity.ERROR, "move the rows off the value first, then approve"),
    /** A column's type changed in a way that is not a known widening: the cast can fail or lose precision on existing rows. */
    SC004("schema-changes-column-type", Severity.ERROR, "add a new column, backfill, switch readers, then drop the old one (expand/contract)"),
    /** A migration adds a column, field or mapping named like the subject's in a table, collection or index the erasure plan does not name. */
    TM004("subject-reference-outside-erasure-plan", Severity.WARNING, "add the table, collection or index to erasure.json (delete or anonymise), "
        + "or approve with the reason it holds no personal data"),
    /** The SQL parser could not read a statement; its rules were not checked. */
    PG000("unparsed-statement", Severity.INFO, "review the statement by hand"),
    /** {@code timestamp} without time zone. */
    PG001("timestamp-without-time-zone", Severity.ERROR, "use timestamptz (timestamp with time zone)"),
    /** A foreign key without an ON DELETE action. */
    PG002("foreign-key-without-on-delete", Severity.ERROR, "add ON DELETE CASCADE (children go with the parent) or ON DELETE SET NULL (children stay)"),
    /** A foreign-key column without an index whose leading columns are the key's. */
    PG003("foreign-key-without-index", Severity.WARNING, "CREATE INDEX ... ON <table> (<foreign key columns>)"),
    /** DROP TABLE. */
    PG004("drop-table", Severity.ERROR, "export the data first; approve with the reason once the team lead signed off"),
    /** ALTER TABLE ... DROP COLUMN. */
    PG005("drop-column", Severity.ERROR, "stop reading and writing the column in a release before (contract phase), then approve"),
    /** TRUNCATE. */
    PG006("truncate", Severity.ERROR, "delete what you mean with a WHERE clause, or approve"),
    /** DELETE without WHERE. */
    PG007("delete-without-where", Severity.ERROR, "add a WHERE clause, or approve"),
    /** UPDATE without WHERE. */
    PG008("update-without-where", Severity.ERROR, "add a WHERE clause, or approve"),
    /** ALTER COLUMN ... TYPE to a narrower type (or one whose old type is unknown). */
    PG009("narrowing-column-type", Severity.ERROR, "add a new column, backfill, switch readers, then drop the old one (expand/contract)"),
    /** CREATE INDEX without CONCURRENTLY on a table created by an earlier migration: blocks writes while it builds. */
    PG010("create-index-without-concurrently", Severity.ERROR, "CREATE INDEX CONCURRENTLY, alone in its migration"),
    /** ADD COLUMN ... NOT NULL without a DEFAULT: fails on a table with rows. */
    PG011("add-not-null-column-without-default", Severity.ERROR, "add it nullable or with a DEFAULT, backfill, then SET NOT NULL"),
    /** drop or dropDatabase. */
    MG001("drop-collection", Severity.ERROR, "export the collection first (bulk export), then approve"),
    /** renameCollection: readers of the old name break. */
    MG002("rename-collection", Severity.ERROR, "create a view with the old name or migrate readers first, then approve"),
    /** $unset of fields in an update. */
    MG003("unset-field", Severity.ERROR, "stop using the field in a release before, then approve"),
    /** Dropping a unique index: duplicates can come in. */
    MG004("drop-unique-index", Severity.ERROR, "keep the index, or approve with the reason"),
    /** A validator on an existing collection set stricter than moderate/warn in an expand migration. */
    MG005("validator-tightened-in-expand", Severity.ERROR, "in the expand phase add it with validationLevel moderate and validationAction warn; "
        + "tighten it (strict, error) in a contract migration once the application writes the new shape"),
    /** A mapping change on an existing index that Elasticsearch cannot apply in place (a field's type changes). */
    ES001("field-type-change-needs-reindex", Severity.ERROR,
        "declare a reindex behind the alias (POST /_tidemark/reindex with the new mappings, README: Reindex behind an alias): a new index "
            + "version, the documents copied and caught up, the alias swapped in one call"),
    /** DELETE of an index. */
    ES002("delete-index", Severity.ERROR, "take a snapshot or bulk export first, then approve"),
    /** A data-loss finding (PG004 to PG009, MG001 to MG004, ES002) in an expand migration. */
    ZD001("data-loss-in-expand", Severity.ERROR, "mark the migration 'tidemark:phase contract': it removes what the running application may "
        + "still use, so it runs after the new application is deployed"),
    /** An expand migration after a contract migration in one rollout. */
    ZD002("expand-after-contract", Severity.ERROR, "give the expand migration a version below the first contract one (or move it to the next "
        + "release): expand runs before the deploy, contract after");

    private final String title;
    private final Severity severity;
    private final String fix;

    Rule(String title, Severity severity, String fix) {
        this.title = title;
        this.severity = severity;
        this.fix = fix;
    }

    /** @return a short kebab-case name */
    public String title() {
        return title;
    }

    /** @return the severity of its findings */
    public Severity severity() {
        return severity;
    }

    /** @return how to fix a finding */
    public String fix() {
        return fix;
    }

    /**
     * @param id a rule id such as {@code PG004}
     * @return the rule, if known
     */
    public static Optional<Rule> byId(String id) {
        return Arrays.stream(values()).filter(r -> r.name().equals(id)).findFirst();
    }
}
