package dev.tidemark.secrets;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.error.SecretException;
import dev.tidemark.json.Json;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Parses connection secrets. Shapes accepted:
 * <ul>
 *   <li>PostgreSQL: the RDS secret JSON {@code {engine, host, port, username, password, dbname}};</li>
 *   <li>MongoDB: {@code {uri}} (database from the URI path or {@code dbname}) or the same keys as PostgreSQL;</li>
 *   <li>Elasticsearch: {@code {url}} plus {@code username}/{@code password} or {@code apiKey} (credentials written
 *       in the URL are moved to basic auth and removed from it).</li>
 * </ul>
 * Errors name the secret id and the missing key, never a value.
 */
public final class ConnectionSecrets {

    private ConnectionSecrets() {
    }

    /**
     * PostgreSQL connection settings; {@link #toString()} hides the password.
     *
     * @param host host name
     * @param port TCP port
     * @param database database name
     * @param username user
     * @param password password
     */
    public record Postgres(String host, int port, String database, String username, String password) {
        /** @return {@code jdbc:postgresql://host:port/database} */
        public String jdbcUrl() {
            // connect within 10 s; TCP keepalives find a dead peer of an idle connection (a statement may legitimately run
            // long, e.g. CREATE INDEX CONCURRENTLY, so there is no read timeout; the advisory lock dies with the session)
            return "jdbc:postgresql://" + host + ":" + port + "/" + database + "?connectTimeout=10&tcpKeepAlive=true";
        }

        /**
         * Opens a connection for a data operation (bulk, erasure): these credentials, a 10 s connect timeout, and no
         * server {@code DETAIL} in error messages (it can quote row values).
         *
         * @param applicationName what {@code pg_stat_activity} shows, e.g. {@code tidemark-bulk}
         * @return an open connection; the caller closes it
         * @throws java.sql.SQLException when it cannot be opened
         */
        public java.sql.Connection open(String applicationName) throws java.sql.SQLException {
            java.util.Properties props = new java.util.Properties();
            props.setProperty("user", username);
            props.setProperty("password", password);
            props.setProperty("connectTimeout", "10");
            props.setProperty("logServerErrorDetail", "false");
            props.setProperty("ApplicationName", applicationName);
            return java.sql.DriverManager.getConnection(jdbcUrl(), props);
        }

        @Override
        public String toString() {
            return "Postgres[" + host + ":" + port + "/" + database + " as " + username + "]";
        }
    }

    /**
     * MongoDB connection settings; {@link #toString()} hides the URI (it may embed a password).
     *
     * @param uri connection string
     * @param database database name
     */
    public record Mongo(String uri, String database) {
        @Override
        public String toString() {
            return "Mongo[database " + database + "]";
        }
    }

    /**
     * Elasticsearch connection settings; {@link #toString()} hides credentials.
     *
     * @param url base URL, e.g. {@code https://search.example:9200}
     * @param username basic-auth user, or {@code null}
     * @param password basic-auth password, or {@code null}
     * @param apiKey API key (base64 {@code id:key}), or {@code null}
     */
    public record Elastic(String url, String username, String password, String apiKey) {
        @Override
        public String toString() {
            return "Elastic[" + url + "]";
        }
    }

    /**
     * @param secretId for messages
     * @param json the secret string
     * @param databaseOverride database from configuration, or {@code null}
     * @return the settings
     */
    public static Postgres postgres(String secretId, String json, String databaseOverride) {
        JsonNode n = parse(secretId, json);
        String db = databaseOverride != null ? databaseOverride : optional(n, "dbname");
        return new Postgres(required(secretId, n, "host"), port(secretId, n, 5432), db != null ? db : "postgres",
            required(secretId, n, "username"), required(secretId, n, "password"));
    }

    /**
     * @param secretId for messages
     * @param json the secret string
     * @param databaseOverride database from configuration, or {@code null}
     * @return the settings
     */
    public static Mongo mongo(String secretId, String json, String databaseOverride) {
        JsonNode n = parse(secretId, json);
        String uri = optional(n, "uri");
        String db = databaseOverride != null ? databaseOverride : optional(n, "dbname");
        if (uri == null) {
            String user = optional(n, "username");
            String password = optional(n, "password");
            String auth = user == null ? "" : enc(user) + (password == null ? "" : ":" + enc(password)) + "@";
            uri = "mongodb://" + auth + required(secretId, n, "host") + ":" + port(secretId, n, 27017);
        } else if (db == null) {
            db = new com.mongodb.ConnectionString(uri).getDatabase();
        }
        if (db == null) {
            throw new SecretException("secret " + secretId + ": no database: give dbname or a database in the uri path");
        }
        return new Mongo(uri, db);
    }

    /**
     * @param secretId for messages
     * @param json the secret string
     * @return the settings
     */
    public static Elastic elastic(String secretId, String json) {
        JsonNode n = parse(secretId, json);
        String url = required(secretId, n, "url").replaceAll("/+$", "");
        String username = optional(n, "username");
        String password = optional(n, "password");
        java.net.URI uri;
        try {
            uri = java.net.URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new SecretException("secret " + secretId + ": key 'url' is not a URL");
        }
        if (uri.getScheme() == null || uri.getHost() == null) {
            throw new SecretException("secret " + secretId + ": key 'url' is not an http(s) URL with a host");
        }
        if (uri.getRawUserInfo() != null) {
            // credentials in the URL move to basic auth, so the URL can appear in messages without them
            String[] userInfo = uri.getUserInfo().split(":", 2);
            username = username != null ? username : userInfo[0];
            password = password != null ? password : (userInfo.length > 1 ? userInfo[1] : null);
            url = uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                + (uri.getRawPath() == null ? "" : uri.getRawPath());
        }
        return new Elastic(url, username, password, optional(n, "apiKey"));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static JsonNode parse(String secretId, String json) {
        try {
            JsonNode n = Json.MAPPER.readTree(json);
            if (n == null || !n.isObject()) {
                throw new SecretException("secret " + secretId + ": not a JSON object");
            }
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SecretException("secret " + secretId + ": not valid JSON");
        }
    }

    private static String required(String secretId, JsonNode n, String key) {
        String v = optional(n, key);
        if (v == null) {
            throw new SecretException("secret " + secretId + ": missing key '" + key + "'");
        }
        return v;
    }

    private static String optional(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
    }

    private static int port(String secretId, JsonNode n, int dflt) {
        JsonNode v = n.get("port");
        if (v == null || v.isNull()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.asText());
        } catch (NumberFormatException e) {
            throw new SecretException("secret " + secretId + ": key 'port' is not a number");
        }
    }
}
