package dev.tidemark.config;

import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.Store;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TidemarkConfigTest {

    private static final String PG = "{\"name\":\"app-db\",\"store\":\"postgres\",\"secretId\":\"arn:s\",\"location\":\"s3://bucket/pg\"}";

    @Test
    void readsTargetsAndSettingsFromTheEnvironment() {
        TidemarkConfig config = TidemarkConfig.fromEnvironment(Map.of("TIDEMARK_TARGETS", "[" + PG + "]", "TIDEMARK_LOCK_WAIT_SECONDS", "5"));
        assertThat(config.targets()).singleElement().satisfies(t -> {
            assertThat(t.store()).isEqualTo(Store.POSTGRES);
            assertThat(t.location()).isEqualTo("s3://bucket/pg");
        });
        assertThat(config.lockWaitSeconds()).isEqualTo(5);
        assertThat(config.leaseSeconds()).isEqualTo(60);
        assertThat(config.placeholders()).isEqualTo(dev.tidemark.migration.Placeholders.NONE);
    }

    @Test
    void badConfigurationNamesTheVariableAndField() {
        assertThatThrownBy(() -> TidemarkConfig.fromEnvironment(Map.of())).hasMessageStartingWith("TIDEMARK_TARGETS: not set");
        assertThatThrownBy(() -> TidemarkConfig.fromEnvironment(Map.of("TIDEMARK_TARGETS", "[" + PG + "," + PG + "]")))
            .isInstanceOf(ValidationException.class).hasMessageStartingWith("TIDEMARK_TARGETS[1].name: 'app-db' is configured twice");
        assertThatThrownBy(() -> TidemarkConfig.fromEnvironment(Map.of("TIDEMARK_TARGETS", "[" + PG.replace("s3://bucket/pg", "ftp://x") + "]")))
            .hasMessageStartingWith("TIDEMARK_TARGETS[0].location: scheme 'ftp' is not allowed");
        assertThatThrownBy(() -> TidemarkConfig.fromEnvironment(Map.of("TIDEMARK_TARGETS", "[" + PG.replace("postgres", "mysql") + "]")))
            .hasMessageStartingWith("TIDEMARK_TARGETS[0].store: unknown store 'mysql'");
        assertThatThrownBy(() -> TidemarkConfig.fromEnvironment(Map.of("TIDEMARK_TARGETS", "[" + PG + "]", "TIDEMARK_LEASE_SECONDS", "soon")))
            .hasMessageStartingWith("TIDEMARK_LEASE_SECONDS: not a non-negative whole number");
        assertThatThrownBy(() -> TidemarkConfig.fromEnvironment(Map.of("TIDEMARK_TARGETS", "[" + PG + "]", "TIDEMARK_PLACEHOLDERS", "[1]")))
            .hasMessageStartingWith("TIDEMARK_PLACEHOLDERS: not a JSON object");
    }
}
