package dev.tidemark.upgrade;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.error.LintFailedException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.location.LocationReader;
import dev.tidemark.migration.MigrateResult;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.Placeholders;
import dev.tidemark.migration.Store;
import dev.tidemark.migration.TargetVersion;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Expand/contract phases and backfills on MongoDB. */
@ExtendWith(ServersExtension.class)
class MongoZeroDowntimeTest {

    private static final String BACKFILL = """
        [
          "tidemark:phase expand",
          { "tidemark:backfill": { "collection": "profiles", "filter": { "tier": { "$exists": false } },
            "update": { "$set": { "tier": "basic" } }, "batchSize": 50 } }
        ]
        """;

    private MongoServer server;
    private MongoClient client;
    private String database;
    @TempDir
    Path dir;

    @BeforeEach
    void freshDatabase(MongoServer server) {
        this.server = server;
        database = TestServers.unique("zd");
        client = MongoClients.create(server.uri());
    }

    @AfterEach
    void close() {
        client.close();
    }

    private MongoDatabase db() {
        return client.getDatabase(database);
    }

    private EngineFactory engines() {
        TidemarkConfig config = new TidemarkConfig(List.of(new TargetConfig("app-docs", Store.MONGODB, "mongo", "filesystem:" + dir, null)), 5, 60,
            300, Placeholders.NONE);
        return new EngineFactory(config, Map.of("mongo", "{\"uri\":\"" + server.uri() + "/" + database + "\"}")::get, new LocationReader(() -> {
            throw new IllegalStateException("no S3 here");
        }));
    }

    private static UpgradeRequest request(UpgradeRequest.RolloutPhase phase) {
        return new UpgradeRequest(List.of(new UpgradeTarget(Store.MONGODB, "app-docs", TargetVersion.LATEST, null)), false,
            UpgradeRequest.Operation.MIGRATE, false, phase);
    }

    private void release(int docs) throws Exception {
        Files.writeString(dir.resolve("V1__profiles.json"), "[{\"create\": \"profiles\"}]");
        Files.writeString(dir.resolve("U1__profiles.json"), "[{\"drop\": \"profiles\"}]");
        new UpgradeService(engines()).upgrade(request(UpgradeRequest.RolloutPhase.ALL));
        List<Document> batch = new ArrayList<>();
        for (int i = 0; i < docs; i++) {
            batch.add(new Document("_id", i).append("email", "u" + i + "@example.org").append("tier", i % 10 == 0 ? "gold" : null));
        }
        db().getCollection("profiles").insertMany(batch);
        db().getCollection("profiles").updateMany(new Document("tier", null), new Document("$unset", new Document("tier", "")));
        Files.writeString(dir.resolve("V2__backfill_tier.json"), BACKFILL);
        Files.writeString(dir.resolve("U2__backfill_tier.json"), "[]");
        Files.writeString(dir.resolve("V3__drop_legacy_level.json"), """
            [
              "tidemark:phase contract",
              "tidemark:approve MG003 the new application reads tier only",
              { "update": "profiles", "updates": [ { "q": {}, "u": { "$unset": { "level": "" } }, "multi": true } ] }
            ]
            """);
        Files.writeString(dir.resolve("U3__drop_legacy_level.json"), "[]");
    }

    private List<String> tiers() {
        return db().getCollection("profiles").find().sort(new Document("_id", 1)).map(d -> d.get("_id") + ":" + d.getString("tier"))
            .into(new ArrayList<>());
    }

    private List<String> history() {
        return db().getCollection("tidemark_schema_history").find().sort(new Document("installed_rank", 1))
            .map(d -> d.getString("version") + ":" + d.getBoolean("success")).into(new ArrayList<>());
    }

    @Test
    void aBackfillInterruptedAtRandomBatchBoundariesGivesTheUninterruptedResultAndIsRecordedOnlyWhenDone() throws Exception {
        release(523);
        Random random = new Random(7);
        List<MigrateResult> calls = RolloutCalls.untilDone(engines(), request(UpgradeRequest.RolloutPhase.EXPAND), () -> random.nextBoolean());
        assertThat(calls.size()).isGreaterThan(2);
        for (MigrateResult r : calls.subList(0, calls.size() - 1)) {
            assertThat(r.status()).isEqualTo(MigrateResult.Status.IN_PROGRESS);
            assertThat(r.backfill().finished()).isFalse();
        }
        MigrateResult last = calls.getLast();
        assertThat(last.versionAfter()).isEqualTo(MigrationVersion.parse("2"));
        assertThat(last.backfill().done()).as("documents without a tier").isEqualTo(523 - 53);
        assertThat(last.backfill().batches()).isEqualTo(11);
        assertThat(last.phase().contractPending()).containsExactly("V3__drop_legacy_level.json");
        assertThat(tiers()).hasSize(523).allMatch(t -> t.endsWith(":basic") || t.endsWith(":gold"));
        assertThat(history()).containsExactly("1:true", "2:true");
        assertThat(db().getCollection("tidemark_backfill").countDocuments()).as("progress forgotten once recorded").isZero();

        // the same data backfilled in one call gives the same documents
        List<String> interrupted = tiers();
        db().getCollection("profiles").updateMany(new Document("tier", "basic"), new Document("$unset", new Document("tier", "")));
        try (var engine = engines().open(engines().config().target("app-docs").orElseThrow())) {
            engine.undo(MigrationVersion.parse("1"), false);
        }
        assertThat(RolloutCalls.untilDone(engines(), request(UpgradeRequest.RolloutPhase.EXPAND), () -> false)).hasSize(1);
        assertThat(tiers()).isEqualTo(interrupted);

        MigrateResult contract = RolloutCalls.untilDone(engines(), request(UpgradeRequest.RolloutPhase.CONTRACT), () -> false).getLast();
        assertThat(contract.phase().irreversible()).containsExactly("V3__drop_legacy_level.json");
    }

    @Test
    void aValidatorTightenedInAnExpandMigrationAndAMalformedBackfillAreRefusedBeforeAnythingRuns() throws Exception {
        release(10);
        Files.delete(dir.resolve("V3__drop_legacy_level.json"));
        Files.writeString(dir.resolve("V3__require_tier.json"), """
            [ { "collMod": "profiles", "validator": { "tier": { "$exists": true } }, "validationLevel": "strict", "validationAction": "error" } ]
            """);
        assertThatThrownBy(() -> new UpgradeService(engines()).upgrade(request(UpgradeRequest.RolloutPhase.ALL)))
            .isInstanceOf(LintFailedException.class).hasMessageContaining("MG005").hasMessageContaining("V3__require_tier.json");
        Files.writeString(dir.resolve("V3__require_tier.json"), """
            [ { "collMod": "profiles", "validator": { "tier": { "$exists": true } }, "validationLevel": "moderate", "validationAction": "warn" } ]
            """);
        Files.writeString(dir.resolve("V2__backfill_tier.json"), BACKFILL.replace("\"batchSize\": 50", "\"batchSize\": 0"));
        assertThatThrownBy(() -> new UpgradeService(engines()).upgrade(request(UpgradeRequest.RolloutPhase.ALL)))
            .isInstanceOf(ValidationException.class).hasMessageContaining("V2__backfill_tier.json: backfill.batchSize");
        Files.writeString(dir.resolve("V2__backfill_tier.json"), BACKFILL.replace("\"tidemark:phase expand\",", "{\"drop\": \"profiles\"},"));
        assertThatThrownBy(() -> new UpgradeService(engines()).upgrade(request(UpgradeRequest.RolloutPhase.ALL)))
            .isInstanceOf(ValidationException.class).hasMessageContaining("the file must hold only");
        assertThat(history()).containsExactly("1:true");
        assertThat(db().getCollection("profiles").countDocuments()).isEqualTo(10);
    }
}
