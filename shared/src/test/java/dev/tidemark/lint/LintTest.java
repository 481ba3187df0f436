package dev.tidemark.lint;

import dev.tidemark.error.ValidationException;
import dev.tidemark.location.Location;
import dev.tidemark.location.LocationReader;
import dev.tidemark.migration.Checksums;
import dev.tidemark.migration.ChecksumDrift;
import dev.tidemark.migration.MigrationResolver;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.Store;
import dev.tidemark.testing.Repo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LintTest {

    private static MigrationScript v(Store store, int version, String content) {
        return new MigrationScript(MigrationVersion.parse(Integer.toString(version)), "m" + version,
            "V" + version + "__m" + version + "." + store.extension(), content, Checksums.of(content));
    }

    private static MigrationScript u(Store store, int version, String content) {
        return new MigrationScript(MigrationVersion.parse(Integer.toString(version)), "m" + version,
            "U" + version + "__m" + version + "." + store.extension(), content, Checksums.of(content));
    }

    private static LintReport pg(String... files) {
        List<MigrationScript> versioned = new ArrayList<>();
        List<MigrationScript> undo = new ArrayList<>();
        for (int i = 0; i < files.length; i++) {
            versioned.add(v(Store.POSTGRES, i + 1, files[i]));
            undo.add(u(Store.POSTGRES, i + 1, "SELECT 1;"));
        }
        return Linter.lint(Store.POSTGRES, versioned, undo, List.of());
    }

    private static List<String> rules(LintReport report) {
        return report.findings().stream().map(f -> f.rule() + "@" + f.file() + ":" + f.line()).toList();
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void theExamplesErasurePlansParseAndCoverEveryTableCollectionAndIndexTheMigrationsCreate(Store store) throws Exception {
        java.nio.file.Path dir = Repo.root().resolve("examples").resolve(store.id());
        var files = new LocationReader(() -> {
            throw new IllegalStateException("no S3 here");
        }).read(Location.parse("filesystem:" + dir), f -> true);
        var m = dev.tidemark.engine.EngineFactory.Migrations.of(store, files);
        assertThat(m.erasurePlan()).as("examples/" + store.id() + "/erasure.json is read with the migrations").isNotNull();
        LintReport report = Linter.lint(store, m.versioned(), m.undo(), List.of(), m.erasurePlan());
        assertThat(report.findings()).noneMatch(f -> f.rule().equals("TM003") || f.rule().equals("TM004"));
    }

    private static final String USERS_PLAN = "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, \"tables\": ["
        + "{\"table\": \"consent\", \"match\": {\"column\": \"user_id\"}, \"action\": \"delete\"},"
        + "{\"table\": \"users\", \"match\": {\"column\": \"id\"}, \"action\": \"delete\"}]}";

    @Test
    void aMigrationThatAddsASubjectReferenceOutsideTheErasurePlanIsAWarningUnlessApproved() {
        List<MigrationScript> versioned = List.of(
            v(Store.POSTGRES, 1, "CREATE TABLE users (id bigint PRIMARY KEY);\n"
                + "CREATE TABLE consent (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id) ON DELETE CASCADE);\n"),
            v(Store.POSTGRES, 2, "CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  total numeric(10, 2) CHECK (total > 0),\n"
                + "  user_id bigint\n);\n"),
            v(Store.POSTGRES, 3, "CREATE TABLE invoices (id bigint PRIMARY KEY, buyer bigint REFERENCES public.users (id) ON DELETE SET NULL);\n"),
            v(Store.POSTGRES, 4, "ALTER TABLE invoices ADD COLUMN user_id bigint;\nALTER TABLE consent ADD COLUMN note text;\n"),
            v(Store.POSTGRES, 5, "-- tidemark:approve TM004 holds an aggregate per cohort, never a user\n"
                + "CREATE TABLE cohorts (id bigint PRIMARY KEY, user_id bigint);\n"));
        List<MigrationScript> undo = versioned.stream().map(s -> u(Store.POSTGRES, Integer.parseInt(s.version().toString()), "SELECT 1;")).toList();
        LintReport report = Linter.lint(Store.POSTGRES, versioned, undo, List.of(), USERS_PLAN);
        List<Finding> tm004 = report.findings().stream().filter(f -> f.rule().equals("TM004")).toList();
        assertThat(tm004).extracting(f -> f.file() + ":" + f.line() + " " + f.message().substring(0, f.message().indexOf(',')))
            .containsExactly("V2__m2.sql:1 orders.user_id is named like the subject's user_id",
                "V3__m3.sql:1 invoices.buyer references users.id",
                "V4__m4.sql:1 invoices.user_id is named like the subject's user_id",
                "V5__m5.sql:2 cohorts.user_id is named like the subject's user_id");
        assertThat(tm004).allSatisfy(f -> assertThat(f.severity()).isEqualTo(Severity.WARNING));
        assertThat(tm004.getLast().approval()).isEqualTo("holds an aggregate per cohort, never a user");
        assertThat(report.blocking()).isEmpty();
    }

    @Test
    void mongoAndElasticsearchMigrationsAreCheckedAgainstThePlanToo() {
        String mongoPlan = "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, \"collections\": ["
            + "{\"collection\": \"profiles\", \"match\": {\"field\": \"user_id\"}, \"action\": \"delete\"}]}";
        List<MigrationScript> mongo = List.of(v(Store.MONGODB, 1, "[{\"create\": \"profiles\", \"validator\": {\"$jsonSchema\": {\"properties\": "
            + "{\"user_id\": {}}}}}, {\"createIndexes\": \"carts\", \"indexes\": [{\"key\": {\"user_id\": 1}, \"name\": \"u\"}]}]"));
        LintReport m = Linter.lint(Store.MONGODB, mongo, List.of(u(Store.MONGODB, 1, "[]")), List.of(), mongoPlan);
        assertThat(m.findings()).filteredOn(f -> f.rule().equals("TM004")).extracting(Finding::message)
            .singleElement().asString().startsWith("carts.user_id is named like the subject's user_id");
        String esPlan = "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, \"indices\": ["
            + "{\"index\": \"audit\", \"match\": {\"field\": \"actor_id\"}, \"action\": \"delete\"}]}";
        List<MigrationScript> es = List.of(v(Store.ELASTICSEARCH, 1, "PUT /audit-v1\n{\"aliases\": {\"audit\": {}}, \"mappings\": {\"properties\": "
            + "{\"actor_id\": {\"type\": \"keyword\"}}}}\n\nPUT /events-v1\n{\"mappings\": {\"properties\": {\"actor_id\": "
            + "{\"type\": \"keyword\"}}}}\n"));
        LintReport e = Linter.lint(Store.ELASTICSEARCH, es, List.of(u(Store.ELASTICSEARCH, 1, "DELETE /events-v1\n")), List.of(), esPlan);
        assertThat(e.findings()).filteredOn(f -> f.rule().equals("TM004")).extracting(f -> f.line() + " " + f.message())
            .singleElement().asString().startsWith("4 events-v1.actor_id is mapped like the subject's actor_id");
    }

    @Test
    void anErasurePlanThatDoesNotParseIsAnErrorNamingTheField() {
        LintReport report = Linter.lint(Store.POSTGRES, List.of(v(Store.POSTGRES, 1, "CREATE TABLE users (id bigint PRIMARY KEY);")),
            List.of(u(Store.POSTGRES, 1, "DROP TABLE users;")), List.of(), "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, "
                + "\"tables\": [{\"table\": \"users\", \"match\": {\"column\": \"id\"}, \"action\": \"shred\"}]}");
        assertThat(report.findings()).filteredOn(f -> f.rule().equals("TM003")).singleElement().satisfies(f -> {
            assertThat(f.file()).isEqualTo("erasure.json");
            assertThat(f.message()).contains("tables[0].action");
            assertThat(f.blocking()).isTrue();
        });
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void theExamplesHaveNoBlockingFindingAndAnUndoForEveryVersion(Store store) {
        String dir = Repo.root().resolve("examples").resolve(store.id()).toString();
        var files = new LocationReader(() -> {
            throw new IllegalStateException("no S3 here");
        }).read(Location.parse("filesystem:" + dir), store.extension());
        LintReport report = Linter.lint(store, MigrationResolver.resolve(store, files), MigrationResolver.resolveUndo(store, files), List.of());
        assertThat(report.blocking()).isEmpty();
        assertThat(report.findings()).noneMatch(f -> f.severity() != Severity.INFO);
        assertThat(report.filesChecked()).isGreaterThanOrEqualTo(10);
    }

    @Test
    void postgresRulesOfTheRuleBookNameRuleFileAndLine() {
        LintReport report = pg(
            "CREATE TABLE customers (id bigint PRIMARY KEY, created_at timestamp NOT NULL);\n"
                + "CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  customer_id bigint NOT NULL REFERENCES customers (id),\n"
                + "  placed_at timestamptz, name varchar(100)\n);",
            "-- next release\nCREATE INDEX orders_placed_at_idx ON orders (placed_at);\nALTER TABLE orders ADD COLUMN status text NOT NULL;\n"
                + "ALTER TABLE orders ALTER COLUMN name TYPE varchar(20);\nALTER TABLE orders DROP COLUMN placed_at;\nDROP TABLE customers;\n"
                + "TRUNCATE orders;\nDELETE FROM orders;\nUPDATE orders SET status = 'x';\nDELETE FROM orders WHERE id = 1;\n-- tidemark:phase contract");
        assertThat(rules(report)).containsExactlyInAnyOrder(
            "PG001@V1__m1.sql:1", "PG002@V1__m1.sql:2", "PG003@V1__m1.sql:2",
            "PG010@V2__m2.sql:2", "PG011@V2__m2.sql:3", "PG009@V2__m2.sql:4", "PG005@V2__m2.sql:5", "PG004@V2__m2.sql:6",
            "PG006@V2__m2.sql:7", "PG007@V2__m2.sql:8", "PG008@V2__m2.sql:9");
        Finding fk = report.findings().stream().filter(f -> f.rule().equals("PG002")).findFirst().orElseThrow();
        assertThat(fk.message()).contains("orders.customer_id");
        assertThat(fk.fix()).contains("ON DELETE CASCADE");
        assertThat(fk.severity()).isEqualTo(Severity.ERROR);
    }

    @Test
    void wideningAColumnConcurrentIndexesAndCoveredForeignKeysAreFine() {
        LintReport report = pg(
            "CREATE TABLE c (id bigint PRIMARY KEY);\nCREATE TABLE o (id int PRIMARY KEY, c_id bigint REFERENCES c (id) ON DELETE CASCADE,"
                + " n varchar(10), amount numeric(10,2));\nCREATE INDEX o_c_id_idx ON o (c_id);",
            "ALTER TABLE o ALTER COLUMN id TYPE bigint;\nALTER TABLE o ALTER COLUMN n TYPE text;\n"
                + "ALTER TABLE o ALTER COLUMN amount TYPE numeric(12,2);\nALTER TABLE o ADD COLUMN flag boolean NOT NULL DEFAULT false;",
            "CREATE INDEX CONCURRENTLY o_n_idx ON o (n);");
        assertThat(report.findings()).isEmpty();
    }

    @Test
    void anApprovalMarkerApprovesItsRuleInItsFileAndIsRecorded() {
        LintReport report = pg("CREATE TABLE a (id int PRIMARY KEY, b int);",
            "-- tidemark:approve PG005 b unused since release 2026.10, approved by the team lead\nALTER TABLE a DROP COLUMN b;\nDROP TABLE a;\n"
                + "-- tidemark:phase contract");
        assertThat(report.blocking()).extracting(Finding::rule).containsExactly("PG004");
        Finding approved = report.findings().stream().filter(f -> f.rule().equals("PG005")).findFirst().orElseThrow();
        assertThat(approved.approval()).isEqualTo("b unused since release 2026.10, approved by the team lead");
        assertThat(approved.blocking()).isFalse();
    }

    @Test
    void dataLossInAnExpandMigrationApprovedOrNotIsZD001AtItsLineAndNotInAContractOne() {
        LintReport expand = pg("CREATE TABLE a (id int PRIMARY KEY, b int);",
            "-- tidemark:approve PG005 b unused since release 2026.10\nALTER TABLE a DROP COLUMN b;");
        assertThat(rules(expand)).containsExactly("PG005@V2__m2.sql:2", "ZD001@V2__m2.sql:2");
        assertThat(expand.blocking()).extracting(Finding::rule).containsExactly("ZD001");
        assertThat(expand.blocking().getFirst().fix()).contains("tidemark:phase contract");
        LintReport contract = pg("CREATE TABLE a (id int PRIMARY KEY, b int);",
            "-- tidemark:phase contract\n-- tidemark:approve PG005 b unused since release 2026.10\nALTER TABLE a DROP COLUMN b;");
        assertThat(contract.blocking()).isEmpty();
        assertThatThrownBy(() -> pg("-- tidemark:phase contract\n-- tidemark:phase expand\nSELECT 1;"))
            .isInstanceOf(ValidationException.class).hasMessageContaining("V1__m1.sql:2: phase marker is a second phase marker");
    }

    @Test
    void aMalformedOrUnknownApprovalMarkerIsAValidationErrorNamingFileAndLine() {
        assertThatThrownBy(() -> pg("SELECT 1;\n-- tidemark:approve PG005\n"))
            .isInstanceOf(ValidationException.class).hasMessageContaining("V1__m1.sql:2: approval marker is malformed");
        assertThatThrownBy(() -> pg("-- tidemark:approve XX999 because\nSELECT 1;"))
            .isInstanceOf(ValidationException.class).hasMessageContaining("V1__m1.sql:1: approval marker names unknown rule 'XX999'");
    }

    @Test
    void aVersionWithoutUndoAndAnEditedAppliedMigrationAreReported() {
        MigrationScript v1 = v(Store.POSTGRES, 1, "CREATE TABLE a (id int PRIMARY KEY);");
        LintReport report = Linter.lint(Store.POSTGRES, List.of(v1), List.of(),
            List.of(new ChecksumDrift(v1.version(), v1.script(), 42, v1.checksum())));
        assertThat(rules(report)).containsExactly("TM001@V1__m1.sql:1", "TM002@V1__m1.sql:1");
        assertThat(report.findings().get(1).severity()).isEqualTo(Severity.ERROR);
    }

    @Test
    void mongoRulesFlagDropRenameUnsetAndDroppingAUniqueIndex() {
        Store s = Store.MONGODB;
        MigrationScript v1 = v(s, 1, "[\n  {\"createIndexes\": \"users\", \"indexes\": [{\"key\": {\"email\": 1}, \"name\": \"email_unique\", \"unique\": true},"
            + " {\"key\": {\"a\": 1}, \"name\": \"a_1\"}]}\n]");
        MigrationScript v2 = v(s, 2, "[\n  {\"dropIndexes\": \"users\", \"index\": \"a_1\"},\n  {\"dropIndexes\": \"users\", \"index\": \"email_unique\"},\n"
            + "  {\"update\": \"users\", \"updates\": [{\"q\": {}, \"u\": {\"$unset\": {\"legacy\": \"\"}}, \"multi\": true}]},\n"
            + "  {\"update\": \"users\", \"updates\": [{\"q\": {}, \"u\": [{\"$unset\": \"old\"}], \"multi\": true}]},\n"
            + "  {\"renameCollection\": \"app.users\", \"to\": \"app.people\"},\n  \"tidemark:approve MG001 exported to s3://backups/sessions first\",\n"
            + "  {\"drop\": \"sessions\"},\n  \"tidemark:phase contract\"\n]");
        LintReport report = Linter.lint(s, List.of(v1, v2), List.of(u(s, 1, "[]"), u(s, 2, "[]")), List.of());
        assertThat(rules(report)).containsExactly("MG004@V2__m2.json:3", "MG003@V2__m2.json:4", "MG003@V2__m2.json:5",
            "MG002@V2__m2.json:6", "MG001@V2__m2.json:8");
        assertThat(report.blocking()).extracting(Finding::rule).containsExactly("MG004", "MG003", "MG003", "MG002");
    }

    @Test
    void elasticsearchFieldTypeChangeIsAnErrorPointingToTheReindexPath() {
        Store s = Store.ELASTICSEARCH;
        MigrationScript v1 = v(s, 1, "PUT /tracks-v1\n{\"mappings\": {\"properties\": {\"year\": {\"type\": \"keyword\"}, \"meta\": {\"properties\": {\"bpm\": {\"type\": \"integer\"}}}}}}\n");
        MigrationScript v2 = v(s, 2, "# additive: fine\nPUT /tracks-v1/_mapping\n{\"properties\": {\"mood\": {\"type\": \"keyword\"}}}\n\n"
            + "PUT /tracks-v1/_mapping\n{\"properties\": {\"meta\": {\"properties\": {\"bpm\": {\"type\": \"float\"}}}}}\n\nDELETE /old-index\n# tidemark:phase contract\n");
        LintReport report = Linter.lint(s, List.of(v1, v2), List.of(u(s, 1, "DELETE /tracks-v1\n"), u(s, 2, "DELETE /x\n")), List.of());
        assertThat(rules(report)).containsExactly("ES001@V2__m2.http:5", "ES002@V2__m2.http:8");
        assertThat(report.findings().getFirst().message()).contains("meta.bpm", "integer -> float");
        assertThat(report.findings().getFirst().fix()).contains("reindex", "alias");
    }

    @Test
    void aStatementTheParserCannotReadIsReportedAsInfoNotSilentlyPassed() {
        LintReport report = pg("DO $$ BEGIN PERFORM 1; END $$;");
        assertThat(report.findings()).singleElement().satisfies(f -> {
            assertThat(f.rule()).isEqualTo("PG000");
            assertThat(f.severity()).isEqualTo(Severity.INFO);
        });
    }
}
