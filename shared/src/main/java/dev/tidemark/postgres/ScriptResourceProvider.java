package dev.tidemark.postgres;

import dev.tidemark.migration.MigrationScript;
import org.flywaydb.core.api.ResourceProvider;
import org.flywaydb.core.api.resource.LoadableResource;

import java.io.Reader;
import java.io.StringReader;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Hands Flyway the SQL files Tidemark read from its location (filesystem, class path or S3), so that Flyway parses
 * and runs exactly the text whose checksum Tidemark computed.
 */
final class ScriptResourceProvider implements ResourceProvider {

    private final List<MigrationScript> scripts;

    ScriptResourceProvider(List<MigrationScript> scripts) {
        this.scripts = List.copyOf(scripts);
    }

    @Override
    public LoadableResource getResource(String name) {
        return scripts.stream().filter(s -> s.script().equals(name)).findFirst().map(Resource::new).orElse(null);
    }

    @Override
    public Collection<LoadableResource> getResources(String prefix, String[] suffixes) {
        return scripts.stream()
            .filter(s -> s.script().startsWith(prefix) && Arrays.stream(suffixes).anyMatch(x -> s.script().endsWith(x)))
            .<LoadableResource>map(Resource::new)
            .toList();
    }

    private static final class Resource extends LoadableResource {
        private final MigrationScript script;

        Resource(MigrationScript script) {
            this.script = script;
        }

        @Override
        public Reader read() {
            return new StringReader(script.content());
        }

        @Override
        public String getAbsolutePath() {
            return script.script();
        }

        @Override
        public String getAbsolutePathOnDisk() {
            return script.script();
        }

        @Override
        public String getFilename() {
            return script.script();
        }

        @Override
        public String getRelativePath() {
            return script.script();
        }
    }
}
