package dev.tidemark.servers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ServersStartOnLoopbackTest {

    @TempDir
    Path dir;

    private static int status(String url) throws Exception {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        return c.getResponseCode();
    }

    @Test
    void elasticsearchAnswersClusterHealthAndItsVersionAtTheRootOnLoopback() throws Exception {
        try (ElasticsearchServer es = ElasticsearchServer.start(dir.resolve("es"))) {
            assertThat(es.url()).startsWith("http://127.0.0.1:");
            assertThat(status(es.url() + "/_cluster/health")).isEqualTo(200);
            HttpURLConnection root = (HttpURLConnection) URI.create(es.url() + "/").toURL().openConnection();
            assertThat(root.getResponseCode()).isEqualTo(200);
            String body = new String(root.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(body).contains("\"number\":\"" + org.elasticsearch.Build.current().version() + "\"").contains("\"cluster_name\":\"tidemark-local\"");
        }
    }

    @Test
    void postgresKeepsItsDataBetweenStarts() throws Exception {
        Path data = dir.resolve("pg");
        try (PostgresServer pg = PostgresServer.start(data)) {
            pg.createDatabase("app");
            try (var c = java.sql.DriverManager.getConnection(pg.jdbcUrl("app"), "postgres", "x"); var st = c.createStatement()) {
                st.execute("CREATE TABLE kept (id int)");
            }
        }
        try (PostgresServer pg = PostgresServer.start(data);
             var c = java.sql.DriverManager.getConnection(pg.jdbcUrl("app"), "postgres", "x");
             var rs = c.createStatement().executeQuery("SELECT count(*) FROM kept")) {
            assertThat(rs.next()).isTrue();
        }
    }

    @Test
    void mongoS3AndMotoListenOnLoopback() throws Exception {
        try (MongoServer mongo = MongoServer.start(dir.resolve("mongo/store.mv"));
             S3Server s3 = S3Server.start(dir.resolve("s3"));
             MotoServer moto = MotoServer.start()) {
            assertThat(mongo.uri()).startsWith("mongodb://127.0.0.1:");
            assertThat(s3.endpoint()).startsWith("http://127.0.0.1:");
            assertThat(status(moto.endpoint() + "/moto-api/")).isEqualTo(200);
            assertThat(status(s3.endpoint() + "/")).isIn(200, 403);
        }
    }
}
