package dev.palisade.platform.ingress;

import dev.palisade.platform.edge.TrustedProxies;
import dev.palisade.platform.edge.TrustedProxyFilter;
import dev.palisade.platform.ops.InternalListener;
import dev.palisade.platform.service.ServiceProperties;
import dev.palisade.platform.service.ServiceRegistry;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * The ingress filters, ahead of Spring Security and every other filter of the platform: first
 * the internal listener's (which answers everything that arrives there), then the trusted-proxy
 * filter (what the client's forwarding headers are worth), then the public ingress.
 */
@Configuration(proxyBeanMethods = false)
class IngressConfiguration {

    @Bean
    FilterRegistrationBean<InternalIngressFilter> internalIngressFilter(InternalListener internal,
            ServiceRegistry registry, HopFilter hop, ServiceProperties properties) {
        FilterRegistrationBean<InternalIngressFilter> bean = new FilterRegistrationBean<>(
                new InternalIngressFilter(internal, registry, hop, properties));
        bean.setOrder(Ordered.HIGHEST_PRECEDENCE);
        bean.addUrlPatterns("/*");
        bean.setName("palisadeInternalIngress");
        return bean;
    }

    @Bean
    FilterRegistrationBean<TrustedProxyFilter> trustedProxyFilter(TrustedProxies proxies, InternalListener internal) {
        FilterRegistrationBean<TrustedProxyFilter> bean = new FilterRegistrationBean<>(
                new TrustedProxyFilter(proxies, internal::arrivedOn));
        bean.setOrder(Ordered.HIGHEST_PRECEDENCE + 5);
        bean.addUrlPatterns("/*");
        bean.setName("palisadeTrustedProxies");
        return bean;
    }

    @Bean
    FilterRegistrationBean<IngressFilter> ingressFilter(IngressRouter router) {
        FilterRegistrationBean<IngressFilter> bean = new FilterRegistrationBean<>(new IngressFilter(router));
        bean.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        bean.addUrlPatterns("/*");
        bean.setName("palisadeIngress");
        return bean;
    }
}
