package dev.tidemark.migration;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import dev.tidemark.error.RepairRequiredException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.mongo.MongoEngine;
import dev.tidemark.mongo.MongoLeaseStore;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(ServersExtension.class)
class MongoEngineTest extends LeasedEngineContract {

    private MongoServer server;
    private MongoClient client;
    private String database;

    @BeforeEach
    void freshDatabase(MongoServer server) {
        this.server = server;
        this.client = MongoClients.create(server.uri());
        this.database = TestServers.unique("mongo");
    }

    @AfterEach
    void closeClient() {
        client.close();
    }

    private MongoDatabase db() {
        return client.getDatabase(database);
    }

    @Override
    protected MigrationEngine engine(List<MigrationScript> scripts) {
        return engine(scripts, Duration.ofSeconds(30));
    }

    @Override
    protected LeaseStore leaseStore() {
        return new MongoLeaseStore(db());
    }

    @Override
    protected HistoryStore historyStore() {
        return new dev.tidemark.mongo.MongoHistoryStore(db());
    }

    @Override
    protected MigrationEngine impatientEngine(List<MigrationScript> scripts) {
        return new MongoEngine("app-docs", MongoClients.create(server.uri()), database, scripts, Duration.ofSeconds(30), Duration.ofSeconds(1));
    }

    private MongoEngine engine(List<MigrationScript> scripts, Duration lease) {
        return new MongoEngine("app-docs", MongoClients.create(server.uri()), database, scripts, lease, Duration.ofSeconds(30));
    }

    @Override
    protected MigrationEngine engine(List<MigrationScript> scripts, Duration lease, Duration wait) {
        return new MongoEngine("app-docs", MongoClients.create(server.uri()), database, scripts, lease, wait);
    }

    @Override
    protected MigrationEngine engineThrough(int port, List<MigrationScript> scripts, Duration lease) {
        return new MongoEngine("app-docs", MongoClients.create("mongodb://127.0.0.1:" + port), database, scripts, lease, Duration.ofSeconds(30));
    }

    @Override
    protected int serverPort() {
        return java.net.URI.create(server.uri()).getPort();
    }

    @Override
    protected List<String> ledger() {
        return dev.tidemark.testing.Ledger.read(Store.MONGODB, server.uri(), database);
    }

    @Override
    protected Store store() {
        return Store.MONGODB;
    }

    @Override
    protected String createThing(int n) {
        return "[\n  {\"create\": \"thing_" + n + "\"},\n  {\"createIndexes\": \"thing_" + n + "\", \"indexes\": [{\"key\": {\"a\": 1}, \"name\": \"a_1\", \"unique\": true}]},\n"
            + "  {\"insert\": \"thing_" + n + "\", \"documents\": [{\"_id\": " + n + ", \"a\": {\"$numberLong\": \"" + n + "\"}}]}\n]";
    }

    @Override
    protected String dropThing(int n) {
        return "[{\"drop\": \"thing_" + n + "\"}]";
    }

    @Override
    protected String dropPartial() {
        return "[{\"drop\": \"partial\"}]";
    }

    @Override
    protected String failingAfterFirstStep() {
        return "[{\"create\": \"partial\"}, {\"insert\": \"partial\", \"documents\": [{\"_id\": 1}, {\"_id\": 1}]}]";
    }

    @Override
    protected boolean exists(String name) {
        return db().listCollectionNames().into(new ArrayList<>()).contains(name);
    }

    @Override
    protected void assertAftermathOfFailedMigration(MigrationEngine engine) {
        assertThat(engine.info().failed()).singleElement().satisfies(f -> {
            assertThat(f.version()).hasToString("2");
            assertThat(f.error()).contains("write errors");
        });
        assertThat(exists("partial")).as("steps before the failing command stay applied").isTrue();
        assertThatThrownBy(() -> engine.migrate(TargetVersion.LATEST, false))
            .isInstanceOf(RepairRequiredException.class).hasMessageContaining("V2__thing_2.json");
    }

    @Test
    void aMalformedFileIsRefusedBeforeAnythingRuns() {
        List<MigrationScript> scripts = List.of(script(1, createThing(1)), script(2, "[{\"create\": \"x\"}, 42]"));
        try (MigrationEngine engine = engine(scripts)) {
            assertThatThrownBy(() -> engine.migrate(TargetVersion.LATEST, false))
                .isInstanceOf(ValidationException.class).hasMessageContaining("V2__thing_2.json").hasMessageContaining("element 1");
            assertThat(exists("thing_1")).isFalse();
            assertThat(engine.info().applied()).isEmpty();
        }
    }

    @Test
    void aLeaseLeftByACrashedRunExpiresAndTheNextRunTakesIt() {
        MongoLeaseStore lock = new MongoLeaseStore(db());
        Instant now = Instant.now();
        assertThat(lock.tryAcquire("crashed-run", now.minusSeconds(10), now.minusSeconds(1))).isEqualTo(1);
        try (MigrationEngine engine = engine(things(1))) {
            assertThat(engine.migrate(TargetVersion.LATEST, false).migrations()).hasSize(1);
        }
        assertThat(lock.liveEpoch(Instant.now())).as("the lock is released").isEmpty();
        Document d = db().getCollection(MongoLeaseStore.COLLECTION).find().first();
        assertThat(d.get("epoch", Number.class).longValue()).as("the takeover raised the epoch, and the release kept it").isEqualTo(2);
    }

    @Test
    void aLiveLeaseIsNotTakenOver() {
        MongoLeaseStore lock = new MongoLeaseStore(db());
        Instant now = Instant.now();
        assertThat(lock.tryAcquire("live-run", now, now.plusSeconds(60))).isPositive();
        assertThat(lock.tryAcquire("other-run", now, now.plusSeconds(60))).isEqualTo(-1);
        assertThat(lock.describeHolder()).startsWith("live-run");
        Document d = db().getCollection(MongoLeaseStore.COLLECTION).find().first();
        assertThat(d.getString("owner")).isEqualTo("live-run");
    }
}
