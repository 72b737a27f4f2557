package dev.palisade.platform.ingress;

import dev.palisade.platform.service.ServiceProperties;
import dev.palisade.platform.service.ServiceRegistry;
import dev.palisade.platform.service.ServiceStore;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/** The ingress filter, ahead of Spring Security and every other filter of the platform. */
@Configuration(proxyBeanMethods = false)
class IngressConfiguration {

    @Bean
    FilterRegistrationBean<IngressFilter> ingressFilter(ServiceRegistry registry, ServiceStore services,
            ServiceProperties properties, IngressStats stats) {
        FilterRegistrationBean<IngressFilter> bean = new FilterRegistrationBean<>(
                new IngressFilter(registry, services, properties, stats));
        bean.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        bean.addUrlPatterns("/*");
        bean.setName("palisadeIngress");
        return bean;
    }
}
