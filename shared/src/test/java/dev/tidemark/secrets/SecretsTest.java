package dev.tidemark.secrets;

import dev.tidemark.config.AwsClients;
import dev.tidemark.error.SecretException;
import dev.tidemark.servers.MotoServer;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(ServersExtension.class)
class SecretsTest {

    private static final String PASSWORD = "s3cr3t-never-shown";

    private static SecretsManagerClient client(MotoServer moto) {
        return new AwsClients(Map.of("AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test",
            "AWS_ENDPOINT_URL_SECRETS_MANAGER", moto.endpoint())).secretsManager();
    }

    @Test
    void readsAnRdsSecretFromSecretsManagerAndCachesIt(MotoServer moto) {
        String name = TestServers.unique("rds");
        try (SecretsManagerClient sm = client(moto)) {
            String arn = sm.createSecret(b -> b.name(name).secretString("{\"engine\":\"postgres\",\"host\":\"db.internal\",\"port\":6432,"
                + "\"username\":\"app\",\"password\":\"" + PASSWORD + "\",\"dbname\":\"core\"}")).arn();
            PowertoolsSecretsSource source = new PowertoolsSecretsSource(sm, 300);
            ConnectionSecrets.Postgres pg = ConnectionSecrets.postgres(arn, source.secretString(arn), null);
            assertThat(pg.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:6432/core?connectTimeout=10&tcpKeepAlive=true");
            assertThat(pg.password()).isEqualTo(PASSWORD);
            assertThat(pg.toString()).doesNotContain(PASSWORD);
            sm.putSecretValue(b -> b.secretId(arn).secretString("{}"));
            assertThat(source.secretString(arn)).as("served from the cache").contains(PASSWORD);
        }
    }

    @Test
    void anUnknownSecretIsASecretErrorNamingItsId(MotoServer moto) {
        try (SecretsManagerClient sm = client(moto)) {
            assertThatThrownBy(() -> new PowertoolsSecretsSource(sm, 300).secretString("tidemark/none"))
                .isInstanceOf(SecretException.class).hasMessageContaining("tidemark/none");
        }
    }

    @Test
    void secretShapesAreCheckedWithoutShowingValues() {
        assertThatThrownBy(() -> ConnectionSecrets.postgres("id-1", "{\"host\":\"h\",\"username\":\"u\"}", null))
            .isInstanceOf(SecretException.class).hasMessage("secret id-1: missing key 'password'");
        assertThatThrownBy(() -> ConnectionSecrets.postgres("id-2", "{\"host\":\"h\",\"username\":\"u\",\"password\":\"" + PASSWORD
            + "\",\"port\":\"x" + PASSWORD + "\"}", null)).isInstanceOf(SecretException.class).message().doesNotContain(PASSWORD);
        assertThatThrownBy(() -> ConnectionSecrets.elastic("id-3", "not json " + PASSWORD))
            .isInstanceOf(SecretException.class).message().doesNotContain(PASSWORD);
        ConnectionSecrets.Mongo mongo = ConnectionSecrets.mongo("id-4", "{\"uri\":\"mongodb://app:" + PASSWORD + "@h:27017/core?tls=true\"}", null);
        assertThat(mongo.database()).isEqualTo("core");
        assertThat(mongo.toString()).doesNotContain(PASSWORD);
        ConnectionSecrets.Mongo fromKeys = ConnectionSecrets.mongo("id-5", "{\"host\":\"h\",\"username\":\"a@b\",\"password\":\"p:w\",\"dbname\":\"d\"}", null);
        assertThat(fromKeys.uri()).isEqualTo("mongodb://a%40b:p%3Aw@h:27017");
        ConnectionSecrets.Elastic es = ConnectionSecrets.elastic("id-6", "{\"url\":\"https://es:9200/\",\"apiKey\":\"" + PASSWORD + "\"}");
        assertThat(es.url()).isEqualTo("https://es:9200");
        assertThat(es.toString()).doesNotContain(PASSWORD);
        ConnectionSecrets.Elastic inUrl = ConnectionSecrets.elastic("id-7", "{\"url\":\"https://elastic:" + PASSWORD + "@es.internal:9243\"}");
        assertThat(inUrl.url()).isEqualTo("https://es.internal:9243");
        assertThat(inUrl.username()).isEqualTo("elastic");
        assertThat(inUrl.password()).isEqualTo(PASSWORD);
        assertThatThrownBy(() -> ConnectionSecrets.elastic("id-8", "{\"url\":\"es.internal\"}"))
            .isInstanceOf(SecretException.class).hasMessageContaining("key 'url'");
    }
}
