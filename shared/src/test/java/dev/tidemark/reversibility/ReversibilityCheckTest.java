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
        assertThat(report.versions()).hasSize(7).allSatisfy(v -> assertThat(v.outcome()).as(v.toString()).isEqualTo("RESTORED"));
        assertThat(report.reversible()).isTrue();
    }

    @Test
    void theReportGivesEachMigrationItsChangesRiskReversibilityTestAndRollbackPlan(PostgresServer server) throws Exception {
        List<ScriptFile> files = examples(Store.POSTGRES);
        List<MigrationScript> versioned = MigrationResolver.resolve(Store.POSTGRES, files);
        List<MigrationScript> undo = MigrationResolver.resolveUndo(Store.POSTGRES, files);
        dev.tidemark.report.MigrationReport report = dev.tidemark.report.MigrationReport.of(Store.POSTGRES, versioned, undo,
            dev.tidemark.lint.Linter.lint(Store.POSTGRES, versioned, undo, List.of()), ReversibilityCheck.onPostgres(scratch(server), versioned, undo));
        assertThat(report.migrations()).hasSize(7);
        var v7 = report.migrations().getLast();
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
        assertThat(report.versions()).extracting(ReversibilityReport.VersionCheck::outcome).containsExactly("NOT_CHECKED", "NOT_RESTORED", "RESTORED");
        assertThat(report.versions().get(1).differences()).containsExactly("+ index.a.a_at_idx: CREATE INDEX a_at_idx ON public.a USING btree (at)");
        assertThat(report.reversible()).isFalse();
    }

    @Test
    void aVersionWithoutUndoStopsTheWalkDown(PostgresServer server) {
        List<MigrationScript> versioned = List.of(file("V1__a.sql", "CREATE TABLE a (id int);"), file("V2__b.sql", "CREATE TABLE b (id int);"));
        ReversibilityReport report = ReversibilityCheck.onPostgres(scratch(server), versioned, List.of(file("U1__a.sql", "DROP TABLE a;")));
        assertThat(report.firstIrreversible()).hasToString("2");
        assertThat(report.versions()).extracting(ReversibilityReport.VersionCheck::outcome).containsExactly("NOT_CHECKED", "NO_UNDO");
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
    void theElasticsearchExamplesShowThatAMappingFieldCannotBeUndoneInPlace(ElasticsearchServer server) {
        try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(server.url(), null, null, null))) {
            client.send("DELETE", "/*,-.*?expand_wildcards=open,closed", null);
            client.send("DELETE", "/_index_template/tracks", null);
        }
        List<ScriptFile> files = examples(Store.ELASTICSEARCH);
        ReversibilityReport report = ReversibilityCheck.onElasticsearch(server.url(), MigrationResolver.resolve(Store.ELASTICSEARCH, files),
            MigrationResolver.resolveUndo(Store.ELASTICSEARCH, files));
        assertThat(report.firstIrreversible()).hasToString("4");
        assertThat(report.versions()).extracting(ReversibilityReport.VersionCheck::outcome)
            .containsExactly("NOT_CHECKED", "NOT_CHECKED", "NOT_CHECKED", "NOT_RESTORED", "RESTORED");
        assertThat(report.versions().get(3).differences()).containsExactly("+ index.tracks-v1.mappings.properties.mood.type: keyword");
        assertThat(report.reapplied()).isTrue();
    }
}
