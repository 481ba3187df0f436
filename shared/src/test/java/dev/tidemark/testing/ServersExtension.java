package dev.tidemark.testing;

import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.MotoServer;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.servers.S3Server;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.util.Map;
import java.util.function.Function;

/** Injects the shared real servers of {@link TestServers} into test and lifecycle method parameters. */
public final class ServersExtension implements ParameterResolver {

    private static final Map<Class<?>, Function<ExtensionContext, Object>> SERVERS = Map.of(
        PostgresServer.class, TestServers::postgres,
        MongoServer.class, TestServers::mongo,
        ElasticsearchServer.class, TestServers::elastic,
        S3Server.class, TestServers::s3,
        MotoServer.class, TestServers::moto,
        dev.tidemark.servers.OpenSearchServer.class, TestServers::openSearch);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return SERVERS.containsKey(parameter.getParameter().getType());
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return SERVERS.get(parameter.getParameter().getType()).apply(context);
    }
}
