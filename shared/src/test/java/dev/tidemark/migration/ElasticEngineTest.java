package dev.tidemark.migration;

import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.elastic.ElasticEngine;
import dev.tidemark.elastic.ElasticLeaseStore;
import dev.tidemark.error.RepairRequiredException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.testing.ServersExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(ServersExtension.class)
class ElasticEngineTest extends LeasedEngineContract {

    private ElasticsearchServer server;
    private ElasticClient client;

    @BeforeEach
    void cleanCluster(ElasticsearchServer server) {
        this.server = server;
        this.client = new ElasticClient(new ConnectionSecrets.Elastic(server.url(), null, null, null));
        for (String index : List.of("tidemark_schema_history", "tidemark_lock", "partial", "thing_1", "thing_2", "thing_3", "thing_4", "thing_5",
            dev.tidemark.testing.Ledger.ELASTIC_INDICES)) {
            client.send("DELETE", "/" + index + "?ignore_unavailable=true", null);
        }
    }

    @AfterEach
    void closeClient() {
        client.close();
    }

    @Override
    protected MigrationEngine engine(List<MigrationScript> scripts) {
        return new ElasticEngine("search", new ElasticClient(new ConnectionSecrets.Elastic(server.url(), null, null, null)), scripts,
            Duration.ofSeconds(30), Duration.ofSeconds(30));
    }

    @Override
    protected MigrationEngine engine(List<MigrationScript> scripts, Duration lease, Duration wait) {
        return new ElasticEngine("search", new ElasticClient(new ConnectionSecrets.Elastic(server.url(), null, null, null)), scripts, lease, wait);
    }

    @Override
    protected MigrationEngine engineThrough(int port, List<MigrationScript> scripts, Duration lease) {
        return new ElasticEngine("search", new ElasticClient(new ConnectionSecrets.Elastic("http://127.0.0.1:" + port, null, null, null)), scripts,
            lease, Duration.ofSeconds(30));
    }

    @Override
    protected int serverPort() {
        return java.net.URI.create(server.url()).getPort();
    }

    @Override
    protected List<String> ledger() {
        return dev.tidemark.testing.Ledger.read(Store.ELASTICSEARCH, server.url(), null);
    }

    @Override
    protected LeaseStore leaseStore() {
        return new ElasticLeaseStore(client, "search");
    }

    @Override
    protected HistoryStore historyStore() {
        return new dev.tidemark.elastic.ElasticHistoryStore(client, "search");
    }

    @Override
    protected MigrationEngine impatientEngine(List<MigrationScript> scripts) {
        return new ElasticEngine("search", new ElasticClient(new ConnectionSecrets.Elastic(server.url(), null, null, null)), scripts,
            Duration.ofSeconds(30), Duration.ofSeconds(1));
    }

    @Override
    protected Store store() {
        return Store.ELASTICSEARCH;
    }

    @Override
    protected String createThing(int n) {
        return "# thing " + n + "\nPUT /thing_" + n + "\n{\n  \"settings\": {\"number_of_replicas\": 0},\n"
            + "  \"mappings\": {\"properties\": {\"a\": {\"type\": \"keyword\"}}}\n}\n\nPUT /thing_" + n + "/_doc/1?refresh=true\n{\"a\": \"x\"}\n";
    }

    @Override
    protected String dropThing(int n) {
        return "DELETE /thing_" + n + "\n";
    }

    @Override
    protected String dropPartial() {
        return "DELETE /partial\n";
    }

    @Override
    protected String failingAfterFirstStep() {
        return "PUT /partial\n{\"settings\": {\"number_of_replicas\": 0}}\n\nPUT /thing_broken\n{\"mappings\": {\"properties\": {\"f\": {\"type\": \"no_such_type\"}}}}\n";
    }

    @Override
    protected boolean exists(String name) {
        return client.send("HEAD", "/" + name, null).status() == 200;
    }

    @Override
    protected void assertAftermathOfFailedMigration(MigrationEngine engine) {
        assertThat(engine.info().failed()).singleElement().satisfies(f -> {
            assertThat(f.version()).hasToString("2");
            assertThat(f.error()).contains("mapper_parsing_exception").contains("line 4");
        });
        assertThat(exists("partial")).as("requests before the failing one stay applied").isTrue();
        assertThatThrownBy(() -> engine.migrate(TargetVersion.LATEST, false)).isInstanceOf(RepairRequiredException.class);
    }

    @Test
    void aBodyThatIsNotJsonIsRefusedBeforeAnythingRuns() {
        List<MigrationScript> scripts = List.of(script(1, createThing(1)), script(2, "PUT /x\n{not json\n"));
        try (MigrationEngine engine = engine(scripts)) {
            assertThatThrownBy(() -> engine.migrate(TargetVersion.LATEST, false))
                .isInstanceOf(ValidationException.class).hasMessageContaining("V2__thing_2.http line 1");
            assertThat(exists("thing_1")).isFalse();
        }
    }

    @Test
    void aLeaseLeftByACrashedRunExpiresAndTheNextRunTakesIt() {
        ElasticLeaseStore lock = new ElasticLeaseStore(client, "search");
        Instant now = Instant.now();
        assertThat(lock.tryAcquire("crashed-run", now.minusSeconds(10), now.minusSeconds(1))).isEqualTo(1);
        assertThat(lock.tryAcquire("other-run", now, now.plusSeconds(60))).as("an expired lease is taken over").isEqualTo(2);
        assertThat(lock.tryAcquire("third-run", now, now.plusSeconds(60))).as("a live lease is not").isEqualTo(-1);
        lock.release("other-run", 2);
        try (MigrationEngine engine = engine(things(1))) {
            assertThat(engine.migrate(TargetVersion.LATEST, false).migrations()).hasSize(1);
        }
        assertThat(lock.liveEpoch(Instant.now())).as("the lock is released").isEmpty();
        assertThat(client.send("GET", "/tidemark_lock/_doc/migration", null).body().path("_source").path("epoch").asLong())
            .as("each acquisition raised the epoch, the release kept it").isEqualTo(3);
    }

    @Test
    void historyAndLockIndicesStayGreenOnASingleNode() {
        try (MigrationEngine engine = engine(things(1))) {
            engine.migrate(TargetVersion.LATEST, false);
        }
        assertThat(client.send("GET", "/_cluster/health/tidemark_schema_history", null).body().path("status").asText()).isEqualTo("green");
    }
}
