package dev.palisade.platform.ops;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.catalina.connector.Connector;
import org.apache.tomcat.util.threads.ThreadPoolExecutor;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.stereotype.Component;

/**
 * How long an idle Tomcat worker beyond the spare ones lives ({@code palisade.server.worker-keep-alive},
 * Tomcat's fixed default is a minute). Thousands of clients going at once (log followers whose
 * page closed) make the container finish thousands of requests at once, and its pool grows for
 * that; the threads then go within seconds rather than staying a minute.
 */
@Component
class WorkerKeepAlive implements ApplicationListener<WebServerInitializedEvent> {

    private final Duration keepAlive;

    WorkerKeepAlive(@Value("${palisade.server.worker-keep-alive:2s}") Duration keepAlive) {
        this.keepAlive = keepAlive;
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        if (event.getWebServer() instanceof TomcatWebServer tomcat) {
            for (Connector connector : tomcat.getTomcat().getService().findConnectors()) {
                if (connector.getProtocolHandler().getExecutor() instanceof ThreadPoolExecutor workers) {
                    workers.setKeepAliveTime(keepAlive.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        }
    }
}
