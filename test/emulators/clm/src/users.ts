// The people who exist in both emulated workspaces. Actor headers (Ironclad x-as-user-email, SpotDraft user-email)
// and workflow creators must name one of them.
export interface WorkspaceUser {
    id: string;
    email: string;
    displayName: string;
    title: string;
}

export const INTEGRATION_USER_EMAIL = 'clm-integration@example.com';

export const workspaceUsers: WorkspaceUser[] = [
    {
        id: '64f0a1b2c3d4e5f601234501',
        email: INTEGRATION_USER_EMAIL,
        displayName: 'CLM Integration',
        title: 'Integration'
    },
    { id: '64f0a1b2c3d4e5f601234502', email: 'legal@example.com', displayName: 'Lena Legal', title: 'Counsel' },
    { id: '64f0a1b2c3d4e5f601234503', email: 'finance@example.com', displayName: 'Frank Finance', title: 'Controller' },
    { id: '64f0a1b2c3d4e5f601234504', email: 'sales@example.com', displayName: 'Sam Sales', title: 'Account Executive' }
];

export function findUser(email: string | undefined): WorkspaceUser | undefined {
    if (!email) return undefined;
    return workspaceUsers.find((user) => user.email.toLowerCase() === email.toLowerCase());
}

export function findUserById(id: string | undefined): WorkspaceUser | undefined {
    return id ? workspaceUsers.find((user) => user.id === id) : undefined;
}
