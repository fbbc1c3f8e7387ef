// The frame around every signed-in page: top bar (organization switcher, profile, sign out) and the
// project's navigation (a drawer on phones).
import AppBar from '@mui/material/AppBar';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Drawer from '@mui/material/Drawer';
import FormControl from '@mui/material/FormControl';
import IconButton from '@mui/material/IconButton';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import Select from '@mui/material/Select';
import SvgIcon from '@mui/material/SvgIcon';
import Toolbar from '@mui/material/Toolbar';
import Typography from '@mui/material/Typography';
import { Suspense, useState } from 'react';
import { Link as RouterLink, Outlet, useLocation, useMatch, useNavigate } from 'react-router';
import { Loading } from './components/states';
import { useProject } from './project';
import { useSession } from './session';

const DRAWER = 232;

const MenuIcon = () => (
  <SvgIcon>
    <path d="M3 18h18v-2H3zm0-5h18v-2H3zm0-7v2h18V6z" />
  </SvgIcon>
);

const PROJECT_LINKS = [
  ['', 'Overview'],
  ['/sources', 'Data sources'],
  ['/credentials', 'Connections'],
  ['/explorer', 'Explorer'],
  ['/webhooks', 'Webhooks'],
  ['/activity', 'Activity'],
  ['/settings', 'Settings'],
] as const;

function Nav({ onNavigate }: { onNavigate: () => void }) {
  const match = useMatch({ path: '/projects/:projectId/*' });
  const projectId = match?.params.projectId;
  const project = useProject(projectId);
  const { pathname } = useLocation();
  const item = (to: string, label: string) => (
    <ListItem key={to} disablePadding>
      <ListItemButton
        component={RouterLink}
        to={to}
        selected={pathname === to}
        onClick={onNavigate}
        aria-current={pathname === to ? 'page' : undefined}
      >
        <ListItemText primary={label} />
      </ListItemButton>
    </ListItem>
  );
  return (
    <Box component="nav" aria-label="Main">
      <List>
        {item('/projects', 'Projects')}
        {item('/members', 'Members')}
        {item('/profile', 'Profile')}
      </List>
      {projectId && (
        <>
          <Typography
            id="nav-project"
            variant="overline"
            component="h2"
            sx={{ px: 2, pt: 1, display: 'block', color: 'text.secondary', lineHeight: 1.5 }}
          >
            {project.data?.name ?? 'Project'}
          </Typography>
          <List aria-labelledby="nav-project">
            {PROJECT_LINKS.map(([suffix, label]) => item(`/projects/${projectId}${suffix}`, label))}
          </List>
        </>
      )}
    </Box>
  );
}

export function Layout() {
  const { profile, organizationId, setOrganizationId, signOut } = useSession();
  const [open, setOpen] = useState(false);
  const navigate = useNavigate();
  return (
    <Box sx={{ display: 'flex', minHeight: '100vh' }}>
      <AppBar position="fixed" sx={{ zIndex: (t) => t.zIndex.drawer + 1 }}>
        <Toolbar sx={{ gap: 1 }}>
          <IconButton
            color="inherit"
            edge="start"
            aria-label="Open navigation"
            onClick={() => setOpen(true)}
            sx={{ display: { md: 'none' } }}
          >
            <MenuIcon />
          </IconButton>
          <Typography variant="h6" component="div" sx={{ flexGrow: 1, whiteSpace: 'nowrap' }}>
            <RouterLink to="/projects" style={{ color: 'inherit', textDecoration: 'none' }}>
              Tributary
            </RouterLink>
          </Typography>
          {profile.organizations.length > 0 && (
            <FormControl
              size="small"
              sx={{ minWidth: 120, maxWidth: { xs: 140, sm: 260 }, bgcolor: 'background.paper', borderRadius: 1 }}
            >
              <Select
                inputProps={{ 'aria-label': 'Organization' }}
                value={organizationId ?? ''}
                onChange={(e) => {
                  setOrganizationId(e.target.value);
                  navigate('/projects');
                }}
              >
                {profile.organizations.map((o) => (
                  <MenuItem key={o.organization_id} value={o.organization_id}>
                    {o.organization_name}
                  </MenuItem>
                ))}
              </Select>
            </FormControl>
          )}
          <Button color="inherit" onClick={signOut} sx={{ whiteSpace: 'nowrap' }}>
            Sign out
          </Button>
        </Toolbar>
      </AppBar>
      <Drawer
        variant="temporary"
        open={open}
        onClose={() => setOpen(false)}
        slotProps={{ paper: { 'aria-label': 'Navigation' } }}
        sx={{ display: { md: 'none' }, '& .MuiDrawer-paper': { width: DRAWER } }}
      >
        <Nav onNavigate={() => setOpen(false)} />
      </Drawer>
      <Drawer
        variant="permanent"
        sx={{
          display: { xs: 'none', md: 'block' },
          width: DRAWER,
          flexShrink: 0,
          '& .MuiDrawer-paper': { width: DRAWER, boxSizing: 'border-box' },
        }}
      >
        <Toolbar />
        <Nav onNavigate={() => undefined} />
      </Drawer>
      <Box component="main" sx={{ flexGrow: 1, minWidth: 0, p: { xs: 2, sm: 3 } }}>
        <Toolbar />
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </Box>
    </Box>
  );
}
