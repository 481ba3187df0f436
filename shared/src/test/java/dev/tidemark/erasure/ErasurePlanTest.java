package dev.tidemark.erasure;

import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.Store;
import dev.tidemark.testing.Repo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ErasurePlanTest {

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mongodb", "elasticsearch"})
    void theExamplesPlansParse(String store) throws Exception {
        Store s = Store.of(store);
        ErasurePlan plan = ErasurePlan.parse(s, Files.readString(Repo.root().resolve("examples").resolve(store).resolve(ErasurePlan.FILE)));
        assertThat(plan.subject()).isEqualTo("user");
        assertThat(plan.idType()).isEqualTo(SubjectId.IdType.INTEGER);
        assertThat(plan.items()).isNotEmpty();
    }

    @Test
    void aJoinPathAndReplacementsAreRead() {
        ErasurePlan plan = ErasurePlan.parse(Store.POSTGRES, """
            {"subject": {"name": "user", "idType": "integer"},
             "tables": [{"table": "messages", "match": {"column": "conversation_id",
                          "through": [{"table": "conversations", "key": "id", "column": "user_id"}]}, "action": "delete"},
                        {"table": "users", "schema": "app", "match": {"column": "id"}, "action": "anonymise",
                         "set": {"email": {"pseudonym": true}, "name": {"value": "erased"}, "phone": null}}]}""");
        assertThat(plan.items().get(0).through()).containsExactly(new ErasurePlan.Hop("public", "conversations", "id", "user_id"));
        ErasurePlan.Item users = plan.items().get(1);
        assertThat(users.schema()).isEqualTo("app");
        assertThat(users.set()).containsExactly(
            java.util.Map.entry("email", new ErasurePlan.Replacement(ErasurePlan.Kind.PSEUDONYM, null)),
            java.util.Map.entry("name", new ErasurePlan.Replacement(ErasurePlan.Kind.VALUE, "erased")),
            java.util.Map.entry("phone", new ErasurePlan.Replacement(ErasurePlan.Kind.NULL, null)));
    }

    @Test
    void badPlansAreRefusedNamingTheField() {
        String subject = "\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}";
        assertRefused(Store.POSTGRES, "{" + subject + "}", "erasure.json: tables: expected a non-empty array");
        assertRefused(Store.POSTGRES, "{" + subject + ", \"tables\": [], \"x\": 1}", "erasure.json: x: unknown field");
        assertRefused(Store.POSTGRES, "{\"subject\": {\"name\": \"user\", \"idType\": \"long\"}, \"tables\": []}",
            "erasure.json: subject.idType: 'long' is not one of integer, string, uuid");
        assertRefused(Store.POSTGRES, "{" + subject + ", \"tables\": [{\"table\": \"t\", \"match\": {\"column\": \"c\"}, \"action\": \"delete\", "
            + "\"set\": {\"c\": null}}]}", "erasure.json: tables[0].set: only for action anonymise");
        assertRefused(Store.POSTGRES, "{" + subject + ", \"tables\": [{\"table\": \"t\", \"match\": {\"column\": \"c\"}, \"action\": \"anonymise\"}]}",
            "erasure.json: tables[0].set: anonymise needs at least one");
        assertRefused(Store.POSTGRES, "{" + subject + ", \"tables\": [{\"table\": \"t\", \"match\": {\"column\": \"c\"}, \"action\": \"anonymise\", "
            + "\"set\": {\"c\": {\"value\": 1}}}]}", "erasure.json: tables[0].set.c: expected null");
        assertRefused(Store.POSTGRES, "{" + subject + ", \"tables\": [{\"table\": \"t\", \"match\": {\"column\": \"c\", \"through\": "
            + "[{},{},{},{},{}]}, \"action\": \"delete\"}]}", "erasure.json: tables[0].match.through: expected an array of 1 to 4 hops");
        assertRefused(Store.ELASTICSEARCH, "{" + subject + ", \"indices\": [{\"index\": \"i\", \"match\": {\"field\": \"f\"}, \"action\": \"anonymise\"}]}",
            "erasure.json: indices[0].action: Elasticsearch entries are deleted");
        assertRefused(Store.MONGODB, "{" + subject + ", \"collections\": [{\"collection\": \"c\", \"match\": {\"field\": \"$where\"}, \"action\": \"delete\"}]}",
            "erasure.json: collections[0].match.field: not a field path");
        assertRefused(Store.MONGODB, "{" + subject + ", \"tables\": [{\"table\": \"t\", \"match\": {\"column\": \"c\"}, \"action\": \"delete\"}]}",
            "erasure.json: tables: unknown field");
        assertRefused(Store.POSTGRES, "{" + subject + ", \"tables\": [], \"tables\": []}", "erasure.json: not one valid JSON value");
    }

    private static void assertRefused(Store store, String json, String message) {
        assertThatThrownBy(() -> ErasurePlan.parse(store, json)).isInstanceOf(ValidationException.class).hasMessageStartingWith(message);
    }

    @Test
    void subjectIdsAreCheckedAgainstTheIdTypeAndNeverShown() {
        assertThat(SubjectId.parse("42", SubjectId.IdType.INTEGER, "subject.id").typed()).isEqualTo(42L);
        assertThat(SubjectId.parse("0042", SubjectId.IdType.INTEGER, "subject.id").value()).isEqualTo("42");
        for (String bad : new String[] {"1 OR 1=1", "1; DROP TABLE users", "*", "", "99999999999999999999", "{\"$ne\": null}", "4 2"}) {
            assertThatThrownBy(() -> SubjectId.parse(bad, SubjectId.IdType.INTEGER, "subject.id")).isInstanceOf(ValidationException.class)
                .hasMessageStartingWith("subject.id: ").satisfies(e -> {
                    if (!bad.isEmpty()) {
                        assertThat(e.getMessage()).doesNotContain(bad);
                    }
                });
        }
        assertThatThrownBy(() -> SubjectId.parse("x".repeat(10 * 1024 * 1024), SubjectId.IdType.STRING, "subject.id"))
            .hasMessage("subject.id: longer than 256 characters");
        assertThatThrownBy(() -> SubjectId.parse("a\u0000b", SubjectId.IdType.STRING, "subject.id")).hasMessageContaining("control character");
        assertThatThrownBy(() -> SubjectId.parse("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", SubjectId.IdType.UUID, "subject.id"))
            .hasMessageContaining("UUID");
        SubjectId id = SubjectId.parse("alice@example.com", SubjectId.IdType.STRING, "subject.id");
        assertThat(id.toString()).doesNotContain("alice");
        String pseudonym = id.pseudonym("k".getBytes(), "user");
        assertThat(pseudonym).hasSize(64).isEqualTo(id.pseudonym("k".getBytes(), "user")).isNotEqualTo(id.pseudonym("other".getBytes(), "user"));
    }
}
