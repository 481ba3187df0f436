package dev.tidemark.local;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** template.yaml and the ASL files are valid, and agree with the code. */
class TemplateAndStateMachinesTest {

    private static final Path REPO = LocalRollout.findRepo(Path.of(""));

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
        return out;
    }

    private static List<Path> aslFiles() throws IOException {
        try (Stream<Path> s = Files.list(REPO.resolve("statemachines"))) {
            return s.filter(p -> p.toString().endsWith(".asl.json")).sorted().toList();
        }
    }

    @Test
    void everyStateMachineDefinitionPassesAslValidator() throws Exception {
        List<Path> files = aslFiles();
        assertThat(files).isNotEmpty();
        for (Path f : files) {
            String out = run(List.of(REPO.resolve("local/node_modules/node/bin/node").toString(),
                REPO.resolve("local/node_modules/asl-validator/dist/bin/asl-validator.js").toString(), "--json-path", f.toString()));
            assertThat(out).contains("is valid");
        }
    }

    @Test
    void theTemplatePassesSamValidateLint() throws Exception {
        String out = run(List.of(REPO.resolve("local/.venv/bin/sam").toString(), "validate", "--lint", "--template", "template.yaml"));
        assertThat(out).contains("is a valid SAM Template");
    }

    @Test
    void everyFunctionHandlerIsAStreamHandlerWithAnEnvironmentConstructor() throws Exception {
        List<SamTemplate.Function> functions = SamTemplate.read(REPO.resolve("template.yaml")).functions();
        assertThat(functions).extracting(SamTemplate.Function::logicalId).containsExactly("UpgradeFunction", "RollbackFunction", "HealthCheckFunction",
            "BulkExportFunction", "BulkImportFunction", "ErasureFunction", "ErasureReceiptFunction", "ErasureApiFunction", "ErasureExportsFunction");
        for (SamTemplate.Function f : functions) {
            Class<?> type = Class.forName(f.handlerClass());
            assertThat(RequestStreamHandler.class).isAssignableFrom(type);
            assertThat(type.getConstructor()).isNotNull();
            assertThat(type.getConstructor(java.util.Map.class)).isNotNull();
            assertThat(f.handler()).endsWith("::handleRequest");
        }
    }

    @Test
    void everySubstitutionOfTheRolloutNamesATemplateFunctionAndEveryPlaceholderIsSubstituted() throws Exception {
        SamTemplate template = SamTemplate.read(REPO.resolve("template.yaml"));
        List<String> functions = template.functions().stream().map(SamTemplate.Function::logicalId).toList();
        assertThat(template.stateMachines()).extracting(SamTemplate.StateMachine::logicalId)
            .containsExactlyInAnyOrder("RolloutStateMachine", "BulkExportStateMachine", "BulkImportStateMachine", "ErasureStateMachine");
        for (SamTemplate.StateMachine sm : template.stateMachines()) {
            var subs = sm.substitutions();
            assertThat(subs.values()).allMatch(functions::contains);
            String asl = Files.readString(REPO.resolve(sm.definitionUri()));
            var placeholders = java.util.regex.Pattern.compile("\\$\\{([A-Za-z0-9]+)}").matcher(asl).results().map(m -> m.group(1)).toList();
            assertThat(placeholders).as(sm.definitionUri()).isNotEmpty().allMatch(subs::containsKey);
        }
    }

    @Test
    void everyTaskHasATimeoutAndTheLockContentionErrorIsRetriedByItsClassName() throws Exception {
        var root = new ObjectMapper().readTree(REPO.resolve("statemachines/rollout.asl.json").toFile());
        List<com.fasterxml.jackson.databind.JsonNode> tasks = root.findParents("Resource");
        assertThat(tasks).isNotEmpty().allMatch(t -> t.path("TimeoutSeconds").asInt() > 0);
        assertThat(root.toString()).contains("\"dev.tidemark.error.LockContentionException\"");
        assertThat(Class.forName("dev.tidemark.error.LockContentionException")).isNotNull();
    }

    @Test
    void everySampleEventIsJson() throws Exception {
        try (Stream<Path> s = Files.list(REPO.resolve("events"))) {
            for (Path p : s.toList()) {
                assertThat(new ObjectMapper().readTree(p.toFile()).isObject()).as(p.toString()).isTrue();
            }
        }
    }
}
