package dev.tidemark.health;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** Health of a target or of all targets, worst first in severity order: healthy &lt; degraded &lt; unhealthy. */
public enum HealthStatus {
    /** Reachable, nothing pending, no failed migration, no drift, cluster green. */
    HEALTHY,
    /** Works, but migrations are pending or the cluster is yellow. */
    DEGRADED,
    /** Unreachable, a failed migration, checksum drift, or a red cluster. */
    UNHEALTHY;

    /** @return the lower-case name used in JSON */
    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param other another status
     * @return the worse of the two
     */
    public HealthStatus worst(HealthStatus other) {
        return other.ordinal() > ordinal() ? other : this;
    }
}
