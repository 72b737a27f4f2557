package dev.palisade.web.support;

import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Sort;

/** Page requests of the console lists: a fixed page size and a page number that cannot go negative. */
public final class Paging {

    public static final int PAGE_SIZE = 25;

    private Paging() {
    }

    public static Pageable page(Integer page, Sort sort) {
        return PageRequest.of(page == null || page < 0 ? 0 : Math.min(page, 100_000), PAGE_SIZE, sort);
    }

    public static Pageable page(Integer page) {
        return page(page, Sort.unsorted());
    }
}
