export declare const ERRORS_PAGE: string;
export declare function renderErrorsPage(): string;
