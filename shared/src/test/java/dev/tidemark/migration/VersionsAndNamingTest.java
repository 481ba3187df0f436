package dev.tidemark.migration;

import dev.tidemark.error.ValidationException;
import dev.tidemark.location.ScriptFile;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VersionsAndNamingTest {

    @Test
    void versionsCompareNumericallyPartByPart() {
        assertThat(MigrationVersion.parse("1.10")).isGreaterThan(MigrationVersion.parse("1.9"));
        assertThat(MigrationVersion.parse("2")).isGreaterThan(MigrationVersion.parse("1.99"));
        assertThat(MigrationVersion.parse("1.0")).isEqualTo(MigrationVersion.parse("1")).hasSameHashCodeAs(MigrationVersion.parse("1"));
        assertThat(MigrationVersion.parse("2025_11_01")).hasToString("2025.11.1");
    }

    @Test
    void malformedVersionsAreValidationErrors() {
        for (String bad : List.of("", "v1", "1..2", "1.a", "-1")) {
            assertThatThrownBy(() -> MigrationVersion.parse(bad)).isInstanceOf(ValidationException.class).hasMessageStartingWith("version:");
        }
        assertThatThrownBy(() -> TargetVersion.parse("newest")).isInstanceOf(ValidationException.class).hasMessageStartingWith("targetVersion:");
    }

    @Test
    void targetVersionKeywordsFollowFlyway() {
        assertThat(TargetVersion.parse(null)).isEqualTo(TargetVersion.LATEST);
        assertThatThrownBy(() -> TargetVersion.parse("LATEST")).isInstanceOf(ValidationException.class).hasMessageContaining("exactly 'latest'");
        assertThat(TargetVersion.parse("current").includes(MigrationVersion.parse("1"), null)).isFalse();
        assertThat(TargetVersion.parse("2").includes(MigrationVersion.parse("2"), null)).isTrue();
        assertThat(TargetVersion.parse("2").includes(MigrationVersion.parse("2.1"), null)).isFalse();
    }

    @Test
    void resolverKeepsVersionedFilesOfTheStoreInVersionOrderAndSkipsOthers() {
        List<MigrationScript> scripts = MigrationResolver.resolve(Store.MONGODB, List.of(
            new ScriptFile("V10__ten.json", "a/V10__ten.json", "[]"),
            new ScriptFile("V2__add_indexes.json", "a/V2__add_indexes.json", "[]"),
            new ScriptFile("U2__add_indexes.json", "a/U2__add_indexes.json", "[]"),
            new ScriptFile("V3__other.sql", "a/V3__other.sql", ""),
            new ScriptFile("notes.json", "a/notes.json", "{}")));
        assertThat(scripts).extracting(MigrationScript::script).containsExactly("V2__add_indexes.json", "V10__ten.json");
        assertThat(scripts.getFirst().description()).isEqualTo("add indexes");
    }

    @Test
    void twoFilesWithOneVersionAreRefusedNamingBoth() {
        assertThatThrownBy(() -> MigrationResolver.resolve(Store.POSTGRES, List.of(
            new ScriptFile("V1__a.sql", "x/V1__a.sql", ""), new ScriptFile("V1.0__b.sql", "y/V1.0__b.sql", ""))))
            .isInstanceOf(ValidationException.class).hasMessageContaining("x/V1__a.sql").hasMessageContaining("y/V1.0__b.sql");
    }

    @Test
    void checksumsIgnoreLineEndingsAndAByteOrderMark() {
        assertThat(Checksums.of("a\r\nb\r\n")).isEqualTo(Checksums.of("a\nb\n")).isEqualTo(Checksums.of("\uFEFFa\nb"));
        assertThat(Checksums.of("a\nb")).isNotEqualTo(Checksums.of("a\nc"));
    }

    @Test
    void unknownStoresNameTheAcceptedOnes() {
        assertThatThrownBy(() -> Store.of("redis")).isInstanceOf(ValidationException.class)
            .hasMessage("store: unknown store 'redis'; expected exactly one of postgres, mongodb, elasticsearch");
        assertThatThrownBy(() -> Store.of(" MongoDB ")).isInstanceOf(ValidationException.class).hasMessageStartingWith("store: unknown store ' MongoDB '");
    }
}
