package dev.tidemark.reversibility;

import dev.tidemark.error.TidemarkException;
import dev.tidemark.lint.Finding;
import dev.tidemark.lint.LintReport;
import dev.tidemark.lint.Linter;
import dev.tidemark.lint.Severity;
import dev.tidemark.migration.Checksums;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.Store;
import dev.tidemark.migration.TargetVersion;
import dev.tidemark.postgres.PostgresEngine;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A PostgreSQL history of 100 versions shaped like a long-lived project's (enums, functions and triggers, views, GIN
 * and expression indexes built {@code CONCURRENTLY}, {@code DO $$} blocks, partitions, renames, {@code IF EXISTS}
 * forms, jsonb columns, an approved type change to jsonb, comments), with five defects planted on purpose. The gates must find each, with its version, and report
 * nothing else as a defect:
 * <ol>
 *   <li>V22: the undo drops the enum's column but leaves the enum type behind;</li>
 *   <li>V46: the undo's table name has a typo under {@code IF EXISTS}, so it drops nothing;</li>
 *   <li>V54: the undo of a view is empty;</li>
 *   <li>V69: a {@code DROP COLUMN} inside a {@code DO} block (the SQL parser cannot read it);</li>
 *   <li>V85: the undo recreates a dropped index on the wrong column.</li>
 * </ol>
 */
@ExtendWith(ServersExtension.class)
class RealHistoryTest {

    private record Pair(String name, String up, String down) {
    }

    /** Ten kinds of change per round, ten rounds: versions 10r+1 .. 10r+10 work on round r's objects. */
    static List<Pair> history() {
        List<Pair> out = new ArrayList<>();
        for (int r = 0; r < 10; r++) {
            String t = "t_" + r;
            out.add(new Pair("create_" + t, "CREATE TABLE " + t + " (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, created_at timestamptz NOT NULL "
                + "DEFAULT now(), payload jsonb, note text);\nCREATE INDEX " + t + "_created_idx ON " + t + " (created_at);\n", "DROP TABLE " + t + ";\n"));
            out.add(new Pair("status_enum_" + r, "CREATE TYPE status_" + r + " AS ENUM ('new', 'open', 'done');\nALTER TABLE " + t
                + " ADD COLUMN status status_" + r + ";\n", r == 2
                ? "ALTER TABLE " + t + " DROP COLUMN status;\n" // planted: the enum type stays behind
                : "ALTER TABLE " + t + " DROP COLUMN status;\nDROP TYPE status_" + r + ";\n"));
            out.add(new Pair("touch_trigger_" + r, "CREATE FUNCTION touch_" + r + "() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.created_at := now();"
                + "\n  RETURN NEW;\nEND\n$$;\nCREATE TRIGGER " + t + "_touch BEFORE UPDATE ON " + t + " FOR EACH ROW EXECUTE FUNCTION touch_" + r + "();\n",
                "DROP TRIGGER IF EXISTS " + t + "_touch ON " + t + ";\nDROP FUNCTION IF EXISTS touch_" + r + "();\n"));
            out.add(new Pair("view_" + r, "CREATE VIEW v_" + r + " AS SELECT id, created_at FROM " + t + " WHERE payload IS NOT NULL;\n", r == 5
                ? "-- nothing to undo\n" // planted: an empty undo of a schema change
                : "DROP VIEW IF EXISTS v_" + r + ";\n"));
            out.add(r == 8
                ? new Pair("drop_created_index_" + r, "DROP INDEX CONCURRENTLY IF EXISTS " + t + "_created_idx;\n",
                    "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + t + "_created_idx ON " + t + " (id);\n") // planted: the wrong column
                : r == 7
                ? new Pair("lower_note_index_" + r, "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + t + "_lower_note ON " + t + " (lower(note));\n",
                    "DROP INDEX CONCURRENTLY IF EXISTS " + t + "_lower_note;\n")
                : new Pair("payload_gin_" + r, "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + t + "_payload_gin ON " + t + " USING gin (payload);\n",
                    "DROP INDEX CONCURRENTLY IF EXISTS " + t + "_payload_gin;\n"));
            out.add(new Pair("guarded_table_" + r, "DO $$\nBEGIN\n  IF to_regclass('x_" + r + "') IS NULL THEN\n    CREATE TABLE x_" + r
                + " (id int PRIMARY KEY, label text);\n  END IF;\nEND\n$$;\n", r == 4
                ? "DROP TABLE IF EXISTS x_4x;\n" // planted: a typo that IF EXISTS hides
                : "DROP TABLE IF EXISTS x_" + r + ";\n"));
            out.add(new Pair("partitioned_" + r, "CREATE TABLE p_" + r + " (id bigint NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at);\n"
                + "CREATE TABLE p_" + r + "_2026 PARTITION OF p_" + r + " FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n",
                "DROP TABLE IF EXISTS p_" + r + ";\n"));
            out.add(new Pair("rename_" + r, "ALTER TABLE x_" + r + " RENAME TO y_" + r + ";\n", "ALTER TABLE y_" + r + " RENAME TO x_" + r + ";\n"));
            out.add(r == 3
                ? new Pair("note_to_jsonb_" + r, "-- tidemark:phase contract\n-- tidemark:approve PG009 notes are JSON since 2026.06, validated by the application\n"
                    + "-- tidemark:approve SC004 notes are JSON since 2026.06, validated by the application\n"
                    + "ALTER TABLE " + t + " ALTER COLUMN note TYPE jsonb USING to_jsonb(note);\n",
                    "ALTER TABLE " + t + " ALTER COLUMN note TYPE text USING note #>> '{}';\n")
                : r == 6
                ? new Pair("drop_note_" + r, "DO $$\nBEGIN\n  EXECUTE 'ALTER TABLE " + t + " DROP COLUMN note';\nEND\n$$;\n", // planted: data loss in a DO block
                    "ALTER TABLE " + t + " ADD COLUMN note text;\n")
                : new Pair("meta_jsonb_" + r, "ALTER TABLE " + t + " ADD COLUMN IF NOT EXISTS meta jsonb NOT NULL DEFAULT '{}';\n",
                    "ALTER TABLE " + t + " DROP COLUMN IF EXISTS meta;\n"));
            out.add(new Pair("comment_" + r, "COMMENT ON TABLE " + t + " IS 'round " + r + "';\n", "COMMENT ON TABLE " + t + " IS NULL;\n"));
        }
        return out;
    }

    private static List<MigrationScript> scripts(boolean undo) {
        List<Pair> pairs = history();
        List<MigrationScript> out = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            String content = undo ? pairs.get(i).down() : pairs.get(i).up();
            out.add(new MigrationScript(MigrationVersion.parse(Integer.toString(i + 1)), pairs.get(i).name(), (undo ? "U" : "V") + (i + 1) + "__"
                + pairs.get(i).name() + ".sql", content, Checksums.of(content)));
        }
        return out;
    }

    @Test
    void everyPlantedDefectIsFoundWithItsVersionAndNothingElseIsReported(PostgresServer server) throws Exception {
        List<MigrationScript> versioned = scripts(false);
        List<MigrationScript> undo = scripts(true);
        assertThat(versioned).hasSize(100);

        LintReport lint = Linter.lint(Store.POSTGRES, versioned, undo, List.of());
        assertThat(lint.blocking()).as("the lint's parser rules block nothing here: the defects are in what the SQL does").isEmpty();
        assertThat(lint.findings()).filteredOn(f -> f.severity() != Severity.INFO).extracting(f -> f.version() + " " + f.rule() + " " + f.approval())
            .containsExactly("39 PG009 notes are JSON since 2026.06, validated by the application");

        String db = TestServers.unique("history");
        server.createDatabase(db);
        ConnectionSecrets.Postgres scratch = new ConnectionSecrets.Postgres("127.0.0.1", server.port(), db, "postgres", "x");
        long t0 = System.nanoTime();
        ReversibilityReport report = ReversibilityCheck.onPostgres(scratch, versioned, undo);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Map<String, Long> outcomes = report.versions().stream().collect(Collectors.groupingBy(ReversibilityReport.VersionCheck::outcome, TreeMap::new,
            Collectors.counting()));
        System.out.printf("real history: 100 versions checked in %d ms; outcomes %s; lint findings by rule %s; data loss %s%n", ms, outcomes,
            lint.findings().stream().collect(Collectors.groupingBy(Finding::rule, TreeMap::new, Collectors.counting())),
            report.versions().stream().flatMap(v -> v.dataLoss().stream()).collect(Collectors.groupingBy(Finding::rule, TreeMap::new, Collectors.counting())));

        Map<Integer, String> defects = new TreeMap<>();
        report.versions().stream().filter(v -> !v.outcome().equals("RESTORED"))
            .forEach(v -> defects.put(Integer.parseInt(v.version().toString()), v.outcome()));
        assertThat(defects).containsExactlyEntriesOf(new TreeMap<>(Map.of(22, "NOT_RESTORED", 46, "NOT_RESTORED", 54, "EMPTY_UNDO", 85, "NOT_RESTORED")));
        assertThat(report.versions().get(21).differences()).containsExactly("+ enum.status_2: new, open, done");
        assertThat(report.versions().get(45).differences()).anyMatch(d -> d.startsWith("+ table.x_4:"));
        assertThat(report.versions().get(53).differences()).anyMatch(d -> d.startsWith("+ view.v_5:"));
        assertThat(report.versions().get(84).differences()).anyMatch(d -> d.startsWith("~ index.t_8.t_8_created_idx:") && d.endsWith("(id)"));

        List<Finding> dataLoss = report.versions().stream().flatMap(v -> v.dataLoss().stream()).toList();
        assertThat(dataLoss).extracting(f -> f.version() + " " + f.rule() + " " + (f.approval() == null ? "unapproved" : "approved"))
            .containsExactly("39 SC004 approved", "69 SC002 unapproved");
        assertThat(report.blockingDataLoss()).extracting(Finding::message).containsExactly("column t_6.note is gone after the migration, with its values");
        assertThat(report.reapplied()).isTrue();

        // the live cycle on another database: upgrade, then undo to 0, which trips over what V54's empty undo left (the view
        // v_5 still depends on t_5 when U51 drops it): the check above named that version before anything ran for real
        String live = TestServers.unique("history_live");
        server.createDatabase(live);
        ConnectionSecrets.Postgres target = new ConnectionSecrets.Postgres("127.0.0.1", server.port(), live, "postgres", "x");
        try (PostgresEngine engine = new PostgresEngine("history", target, versioned, 30)) {
            engine.undoScripts(undo);
            assertThat(engine.migrate(TargetVersion.parse("latest"), false).migrations()).hasSize(100);
            assertThatThrownBy(() -> engine.undo(null, false)).isInstanceOf(TidemarkException.class)
                .hasMessageContaining("U51__create_t_5.sql").hasMessageContaining("SQL state 2BP01");
            // once the view is dropped by hand (the repair an operator would make), the undo reaches 0 and the upgrade trips
            // over the enum V22's undo left behind
            try (var c = java.sql.DriverManager.getConnection(target.jdbcUrl(), "postgres", "x")) {
                c.createStatement().execute("DROP VIEW v_5");
            }
            assertThat(engine.undo(null, false).versionAfter()).isNull();
            assertThatThrownBy(() -> engine.migrate(TargetVersion.parse("latest"), false)).isInstanceOf(TidemarkException.class)
                .hasMessageContaining("V22__status_enum_2.sql");
        }
    }
}
