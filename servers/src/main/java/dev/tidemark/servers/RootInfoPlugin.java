package dev.tidemark.servers;

import org.elasticsearch.Build;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.settings.ClusterSettings;
import org.elasticsearch.common.settings.IndexScopedSettings;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.settings.SettingsFilter;
import org.elasticsearch.cluster.metadata.IndexNameExpressionResolver;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestController;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;

import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * {@code GET /} and {@code HEAD /} for the embedded node, which lacks Elasticsearch's {@code rest-root} module (it is not
 * published to Maven Central): answers the node's name, cluster name and version as the real root endpoint does
 * ({@code {"name", "cluster_name", "version": {"number", "lucene_version"}, "tagline"}}). Clients that read the version
 * first (elasticdump, Kibana) need it.
 */
public final class RootInfoPlugin extends Plugin implements ActionPlugin {

    @Override
    public Collection<RestHandler> getRestHandlers(Settings settings, NamedWriteableRegistry registry, RestController controller,
                                                   ClusterSettings clusterSettings, IndexScopedSettings indexScopedSettings,
                                                   SettingsFilter settingsFilter, IndexNameExpressionResolver resolver,
                                                   Supplier<DiscoveryNodes> nodes, Predicate<NodeFeature> features) {
        String body = "{\"name\":\"" + settings.get("node.name", "") + "\",\"cluster_name\":\"" + settings.get("cluster.name", "")
            + "\",\"version\":{\"number\":\"" + Build.current().version() + "\",\"build_flavor\":\"default\",\"lucene_version\":\""
            + org.apache.lucene.util.Version.LATEST + "\"},\"tagline\":\"You Know, for Search\"}";
        return List.of(new BaseRestHandler() {
            @Override
            public String getName() {
                return "tidemark_root";
            }

            @Override
            public List<Route> routes() {
                return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
            }

            @Override
            protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
                return channel -> channel.sendResponse(new RestResponse(RestStatus.OK, "application/json", body));
            }
        });
    }
}
