package dev.tidemark.location;

import dev.tidemark.config.AwsClients;
import dev.tidemark.error.LocationException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.servers.S3Server;
import dev.tidemark.testing.ServersExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(ServersExtension.class)
class LocationReaderTest {

    private static AwsClients clients(S3Server s3) {
        return new AwsClients(Map.of("AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY",
            S3Server.SECRET_KEY, "AWS_ENDPOINT_URL_S3", s3.endpoint(), "AWS_REQUEST_CHECKSUM_CALCULATION", "when_required"));
    }

    @Test
    void onlyFilesystemClasspathAndS3AreAllowed() {
        assertThat(Location.parse("s3://tidemark-migrations/releases/2026.11.1/postgres"))
            .isEqualTo(new Location("s3", "tidemark-migrations", "releases/2026.11.1/postgres"));
        assertThat(Location.parse("classpath:/db/migration/")).isEqualTo(new Location("classpath", null, "db/migration"));
        for (String bad : List.of("ftp://host/x", "http://example.org/m", "gs://bucket/x", "/tmp/migrations")) {
            assertThatThrownBy(() -> Location.parse(bad)).isInstanceOf(ValidationException.class)
                .hasMessageStartingWith("location: scheme").hasMessageContaining("is not allowed");
        }
        assertThatThrownBy(() -> Location.parse("s3://Not_A_Bucket/x")).isInstanceOf(ValidationException.class)
            .hasMessageContaining("invalid S3 bucket name");
    }

    @Test
    void readsMigrationsUnderAnS3PrefixRecursively(S3Server s3) {
        try (S3Client client = clients(s3).s3()) {
            client.createBucket(b -> b.bucket("reader-test"));
            client.putObject(b -> b.bucket("reader-test").key("pg/V1__a.sql"), RequestBody.fromString("SELECT 1;"));
            client.putObject(b -> b.bucket("reader-test").key("pg/sub/V2__b.sql"), RequestBody.fromString("SELECT 2;"));
            client.putObject(b -> b.bucket("reader-test").key("pg/readme.md"), RequestBody.fromString("x"));
            client.putObject(b -> b.bucket("reader-test").key("pgx/V9__other.sql"), RequestBody.fromString("x"));
            List<ScriptFile> files = new LocationReader(() -> clients(s3).s3()).read(Location.parse("s3://reader-test/pg"), "sql");
            assertThat(files).extracting(ScriptFile::name).containsExactly("V1__a.sql", "V2__b.sql");
            assertThat(files).extracting(ScriptFile::path).containsExactly("s3://reader-test/pg/V1__a.sql", "s3://reader-test/pg/sub/V2__b.sql");
            assertThat(files.get(1).content()).isEqualTo("SELECT 2;");
        }
    }

    @Test
    void aMissingBucketIsALocationError(S3Server s3) {
        assertThatThrownBy(() -> new LocationReader(() -> clients(s3).s3()).read(Location.parse("s3://no-such-bucket/pg"), "sql"))
            .isInstanceOf(LocationException.class).hasMessageContaining("s3://no-such-bucket/pg");
    }

    @Test
    void readsFilesystemAndClasspathLocations(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("V1__x.http"), "GET /");
        LocationReader reader = new LocationReader(() -> {
            throw new AssertionError("no S3 client for local locations");
        });
        assertThat(reader.read(Location.parse("filesystem:" + dir), "http")).extracting(ScriptFile::name).containsExactly("V1__x.http");
        assertThat(reader.read(Location.parse("classpath:db/sample"), "sql")).extracting(ScriptFile::name).containsExactly("V1__sample.sql");
        assertThatThrownBy(() -> reader.read(Location.parse("filesystem:" + dir.resolve("missing")), "sql")).isInstanceOf(LocationException.class);
        assertThatThrownBy(() -> reader.read(Location.parse("classpath:db/missing"), "sql")).isInstanceOf(LocationException.class);
    }
}
