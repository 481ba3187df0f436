package dev.tidemark.reversibility;

import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.location.Location;
import dev.tidemark.location.LocationReader;
import dev.tidemark.location.ScriptFile;
import dev.tidemark.migration.Checksums;
import dev.tidemark.migration.MigrationResolver;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.Store;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.testing.Repo;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Seed 004's upgrade, downgrade, re-upgrade ritual on scratch targets of the real servers. */
@ExtendWith(ServersExtension.class)
class ReversibilityCheckTest {

    private static List<ScriptFile> examples(Store store) {
        String dir = Repo.root().resolve("examples").resolve(store.id()).toString();
        return new LocationReader(() -> {
            throw new IllegalStateException("no S3 here");
        }).read(Location.parse("filesystem:" + dir), store.extension());
    }

    private static MigrationScript file(String name, String content) {
        String version = name.substring(1, name.indexOf("__"));
        return new MigrationScript(MigrationVersion.parse(version), "x", name, content, Checksums.of(content));
    }

    private static ConnectionSecrets.Postgres scratch(PostgresServer server) {
        String db = TestServers.unique("scratch");
        server.createDatabase(db);
        return new ConnectionSecrets.Postgres("127.0.0.1", server.port(), db, "postgres", "x");
    }

    @Test
    void thePostgresExamplesAreReversibleVersionByVersion(PostgresServer server) {
        List<ScriptFile> files = examples(Store.POSTGRES);
        ReversibilityReport report = ReversibilityCheck.onPostgres(scratch(server), MigrationResolver.resolve(Store.POSTGRES, files),
            MigrationResolver.resolveUndo(Store.POSTGRES, files));
        assertThat(report.versions()).hasSize(11).allSatisfy(v -> assertThat(v.outcome()).as(v.toString()).isEqualTo("RESTORED"));
        assertThat(report.reversible()).isTrue();
    }

    @Test
    void theReportGivesEachMigrationItsChangesRiskReversibilityTestAndRollbackPlan(PostgresServer server) throws Exception {
        List<ScriptFile> files = examples(Store.POSTGRES);
        List<MigrationScript> versioned = MigrationResolver.resolve(Store.POSTGRES, files);
        List<MigrationScript> undo = MigrationResolver.resolveUndo(Store.POSTGRES, files);
        dev.tidemark.report.MigrationReport report = dev.tidemark.report.MigrationReport.of(Store.POSTGRES, versioned, undo,
            dev.tidemark.lint.Linter.lint(Store.POSTGRES, versioned, undo, List.of()), ReversibilityCheck.onPostgres(scratch(server), versioned, undo));
        assertThat(report.migrations()).hasSize(11);
        var v7 = report.migrations().get(6);
        assertThat(v7.changes()).containsExactly("CREATE INDEX CONCURRENTLY IF NOT EXISTS users_created_at_idx ON users (created_at)");
        assertThat(v7.dataLossRisk()).isEqualTo("none");
        assertThat(v7.reversibility()).isEqualTo("RESTORED");
        assertThat(v7.rollbackPlan()).startsWith("Rollback to 6 runs U7__index_users_created_at_concurrently.sql");
        String md = report.toMarkdown();
        assertThat(md).contains("## 7 — index users created at concurrently", "### Changes", "### Data-loss risk", "### Reversibility",
            "### How it was tested", "### Rollback plan");
        assertThat(dev.tidemark.json.Json.MAPPER.writeValueAsString(report)).contains("\"dataLossRisk\":\"none\"");
    }

    @Test
    void anUndoThatForgetsSomethingIsTheFirstIrreversibleVersionWithTheDifference(PostgresServer server) {
        List<MigrationScript> versioned = List.of(
            file("V1__a.sql", "CREATE TABLE a (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());"),
            file("V2__b.sql", "ALTER TABLE a ADD COLUMN note text;\nCREATE INDEX a_at_idx ON a (at);"),
            file("V3__c.sql", "CREATE TABLE c (id int);"));
        List<MigrationScript> undo = List.of(file("U1__a.sql", "DROP TABLE a;"), file("U2__b.sql", "ALTER TABLE a DROP COLUMN note;"),
            file("U3__c.sql", "DROP TABLE c;"));
        ReversibilityReport report = ReversibilityCheck.onPostgres(scratch(server), versioned, undo);
        assertThat(report.firstIrreversible()).hasToString("2");
        assertThat(report.versions()).extracting(ReversibilityReport.VersionCheck::outcome)
            .as("the version below the broken undo is checked on its own, from a rebuilt scratch database").containsExactly("RESTORED", "NOT_RESTORED",
                "RESTORED");
        assertThat(report.versions().get(1).differences()).containsExactly("+ index.a.a_at_idx: CREATE INDEX a_at_idx ON public.a USING btree (at)");
        assertThat(report.reversible()).isFalse();
    }

    @Test
    void aVersionWithoutUndoIsReportedAndTheVersionsBelowItAreStillChecked(PostgresServer server) {
        List<MigrationScript> versioned = List.of(file("V1__a.sql", "CREATE TABLE a (id int);"), file("V2__b.sql", "CREATE TABLE b (id int);"));
        ReversibilityReport report = ReversibilityCheck.onPostgres(scratch(server), versioned, List.of(file("U1__a.sql", "DROP TABLE a;")));
        assertThat(report.firstIrreversible()).hasToString("2");
        assertThat(report.versions()).extracting(ReversibilityReport.VersionCheck::outcome).containsExactly("RESTORED", "NO_UNDO");
        assertThat(report.reapplied()).isTrue();
    }

    @Test
    void everyVersionIsCheckedOnItsOwnAndAnEmptyUndoOfASchemaChangeIsAFinding(PostgresServer server) {
        List<MigrationScript> versioned = List.of(
            file("V1__enum.sql", "CREATE TYPE mood AS ENUM ('calm', 'busy');\nCREATE TABLE a (id int, m mood);"),
            file("V2__empty_undo.sql", "CREATE TABLE b (id int);"),
            file("V3__data_only.sql", "INSERT INTO a (id) VALUES (1);"),
            file("V4__wrong_column.sql", "CREATE INDEX a_id_idx ON a (id);"));
        List<MigrationScript> undo = List.of(
            file("U1__enum.sql", "DROP TABLE a;"),
            file("U2__empty_undo.sql", "-- nothing to undo\n"),
            file("U3__data_only.sql", "DELETE FROM a WHERE id = 1;"),
            file("U4__wrong_column.sql", "DROP INDEX a_id_idx;\nCREATE INDEX a_m_idx ON a (m);"));
        ReversibilityReport report = ReversibilityCheck.onPostgres(scratch(server), versioned, undo);
        assertThat(report.versions()).extracting(v -> v.version() + " " + v.outcome())
            .containsExactly("1 NOT_RESTORED", "2 EMPTY_UNDO", "3 RESTORED", "4 NOT_RESTORED");
        assertThat(report.versions().get(0).differences()).as("the undo left the enum type behind").anyMatch(d -> d.startsWith("+ ") && d.contains("mood"));
        assertThat(report.versions().get(1).differences()).containsExactly("+ column.b.id: integer", "+ table.b: r");
        assertThat(report.versions().get(3).differences()).anyMatch(d -> d.contains("a_m_idx"));
        assertThat(report.firstIrreversible()).hasToString("4");
        assertThat(report.reapplied()).as("re-migrated from an empty database after the last broken undo").isTrue();
    }

    @Test
    void dataLossIsFoundByWhatTheSchemaDoesEvenInsideADoBlockAndRenamesAndWideningsAreNot(PostgresServer server) {
        List<MigrationScript> versioned = List.of(
            file("V1__start.sql", "CREATE TYPE mood AS ENUM ('a', 'b', 'c');\nCREATE TABLE t (id int, note text, amount numeric(10,2), "
                + "name varchar(50), m mood);\nCREATE TABLE old (x int);"),
            file("V2__do_block.sql", "DO $$ BEGIN EXECUTE 'ALTER TABLE t DROP COLUMN note'; END $$;"),
            file("V3__types.sql", "ALTER TABLE t ALTER COLUMN name TYPE varchar(80);\nALTER TABLE t ALTER COLUMN id TYPE bigint;\n"
                + "ALTER TABLE t ALTER COLUMN amount TYPE numeric(6,2);"),
            file("V4__enum_and_rename.sql", "ALTER TABLE t DROP COLUMN m;\nALTER TYPE mood RENAME TO mood_old;\nCREATE TYPE mood AS ENUM ('a', 'b');\n"
                + "DROP TYPE mood_old;\nALTER TABLE old RENAME TO older;\nALTER TABLE t RENAME COLUMN name TO title;"),
            file("V5__drop.sql", "-- tidemark:approve SC001 archived to s3://backups/older first\nDROP TABLE older;"));
        ReversibilityReport report = ReversibilityCheck.onPostgres(scratch(server), versioned, List.of());
        assertThat(report.versions()).extracting(v -> v.version() + " " + v.dataLoss().stream().map(f -> f.rule() + " " + f.message().split(" ")[1])
            .sorted().toList()).containsExactly("1 []", "2 [SC002 t.note]", "3 [SC004 t.amount]", "4 [SC002 t.m, SC003 mood]", "5 [SC001 older]");
        assertThat(report.versions().get(3).dataLoss()).anyMatch(f -> f.message().equals("enum mood loses c"));
        assertThat(report.versions().get(2).dataLoss().getFirst().message())
            .isEqualTo("column t.amount changes type from numeric(10,2) to numeric(6,2): the cast can fail or lose precision on existing rows, "
                + "and rewrites the table");
        assertThat(report.versions().get(4).dataLoss().getFirst().approval()).isEqualTo("archived to s3://backups/older first");
        assertThat(report.blockingDataLoss()).extracting(f -> f.version().toString()).containsExactly("2", "3", "4", "4");
    }

    @Test
    void elasticsearchSnapshotsSeeComponentTemplatesAndIngestPipelines(ElasticsearchServer server) {
        try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(server.url(), null, null, null))) {
            SchemaSnapshot before = new ElasticSnapshot(client).take();
            try {
                assertThat(client.send("PUT", "/_component_template/rv-settings", "{\"template\": {\"settings\": {\"number_of_shards\": 1}}}").ok()).isTrue();
                assertThat(client.send("PUT", "/_ingest/pipeline/rv-lowercase", "{\"description\": \"lower-case names\", \"processors\": []}").ok())
                    .isTrue();
                assertThat(new ElasticSnapshot(client).take().differencesFrom(before))
                    .anyMatch(d -> d.startsWith("+ component_template.rv-settings.template.settings"))
                    .anyMatch(d -> d.equals("+ pipeline.rv-lowercase.description: lower-case names"));
            } finally {
                client.send("DELETE", "/_component_template/rv-settings", null);
                client.send("DELETE", "/_ingest/pipeline/rv-lowercase", null);
            }
            assertThat(new ElasticSnapshot(client).take().differencesFrom(before)).isEmpty();
        }
    }

    @Test
    void postgresSnapshotsSeeFunctionsTriggersViewsSequencesPoliciesAndComments(PostgresServer server) throws Exception {
        var scratch = scratch(server);
        SchemaSnapshot empty = new PostgresSnapshot(scratch).take();
        try (var c = java.sql.DriverManager.getConnection(scratch.jdbcUrl(), scratch.username(), scratch.password()); var st = c.createStatement()) {
            st.execute("""
                CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
                CREATE TABLE t (id serial PRIMARY KEY, e email);
                CREATE VIEW tv AS SELECT id FROM t;
                CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
                CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
                ALTER TABLE t ENABLE ROW LEVEL SECURITY;
                CREATE POLICY t_own ON t USING (id > 0);
                COMMENT ON COLUMN t.e IS 'contact'""");
        }
        List<String> added = new PostgresSnapshot(scratch).take().differencesFrom(empty);
        for (String kind : List.of("domain.email", "sequence.t_id_seq", "view.tv", "function.touch()", "trigger.t.t_touch", "rls.t", "policy.t.t_own",
            "comment.t.e")) {
            assertThat(added).as(kind).anyMatch(d -> d.startsWith("+ " + kind + ":"));
        }
        assertThat(added).anyMatch(d -> d.startsWith("+ sequence.t_id_seq:") && d.endsWith("owned by t.id"));
    }

    @Test
    void theMongoExamplesAreReversibleVersionByVersion(MongoServer server) {
        List<ScriptFile> files = examples(Store.MONGODB);
        ReversibilityReport report = ReversibilityCheck.onMongo(server.uri(), TestServers.unique("scratch"),
            MigrationResolver.resolve(Store.MONGODB, files), MigrationResolver.resolveUndo(Store.MONGODB, files));
        assertThat(report.versions()).allSatisfy(v -> assertThat(v.outcome()).as(v.toString()).isEqualTo("RESTORED"));
        assertThat(report.reversible()).isTrue();
    }

    @Test
    void theElasticsearchExamplesAreReversibleSinceTheMoodFieldComesThroughAReindexBehindTheAlias(ElasticsearchServer server) {
        try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(server.url(), null, null, null))) {
            client.send("PUT", "/tracks-v1/_settings", "{\"index.blocks.write\": null}");
            client.send("DELETE", "/*,-.*?expand_wildcards=open,closed", null);
            client.send("DELETE", "/_index_template/tracks", null);
        }
        List<ScriptFile> files = examples(Store.ELASTICSEARCH);
        ReversibilityReport report = ReversibilityCheck.onElasticsearch(server.url(), MigrationResolver.resolve(Store.ELASTICSEARCH, files),
            MigrationResolver.resolveUndo(Store.ELASTICSEARCH, files));
        assertThat(report.versions()).extracting(ReversibilityReport.VersionCheck::outcome).as(report.versions().toString())
            .containsExactly("RESTORED", "RESTORED", "RESTORED", "RESTORED", "RESTORED");
        assertThat(report.firstIrreversible()).isNull();
        assertThat(report.reversible()).isTrue();
        assertThat(report.reapplied()).isTrue();
    }
}
